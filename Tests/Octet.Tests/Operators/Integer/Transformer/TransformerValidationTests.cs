using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Integer.Transformer;

/// <summary>Registration, integer-only attributes, and clear rejection of malformed ISoftmax / IGelu / ILayerNorm nodes.</summary>
public sealed class TransformerValidationTests
{
    private static readonly QuantizationParameters Int8Input = QuantizationParameters.PerTensor(ElementType.Int8, 0.05f, -3);
    private static readonly QuantizationParameters Int8Output = QuantizationParameters.PerTensor(ElementType.Int8, 0.03f, 5);

    public static TheoryData<string> OpTypes => new() { "ISoftmax", "IGelu", "ILayerNorm" };

    [Theory]
    [MemberData(nameof(OpTypes))]
    public void The_registry_finds_each_operator_in_the_octet_domain(string opType)
    {
        var definition = OperatorRegistry.Default.Find(IntegerOperator.OctetDomain, opType);
        Assert.NotNull(definition);
        Assert.Equal(opType, definition.OpType);
    }

    public static IEnumerable<object[]> CreatedAttributes()
    {
        yield return [ISoftmax.Create(ISoftmax.ShiftmaxMethod, 0.1f, ElementType.UInt8)];
        yield return [ISoftmax.Create(ISoftmax.IbertMethod, 0.1f, ElementType.Int8)];
        yield return [IGelu.Create(IGelu.ShiftGeluMethod, Int8Input, Int8Output)];
        yield return [IGelu.Create(IGelu.IbertMethod, Int8Input, Int8Output)];
        yield return [ILayerNorm.Create(Int8Input, Int8Output, [1f, -0.5f, 0f], [0.1f, 0f, -0.2f], 1e-5f)];
    }

    [Theory]
    [MemberData(nameof(CreatedAttributes))]
    public void Created_attributes_carry_no_float_constant(Dictionary<string, Attribute> attributes)
    {
        // IntegerPlanCheck rejects any node with a float or floats attribute: the constants must all be integers.
        Assert.DoesNotContain(attributes.Values, a => a.Kind is AttributeKind.Float or AttributeKind.Floats);
    }

    private static Tensor Row(int length) => From(ElementType.Int8, [2, length], Enumerable.Range(0, 2 * length).Select(i => i % 50 - 25).ToArray());

    [Fact]
    public void ISoftmax_rejects_unknown_methods_wrong_zero_points_and_scalars()
    {
        var good = ISoftmax.Create(ISoftmax.IbertMethod, 0.1f, ElementType.UInt8);
        AssertRejected(new ISoftmax(), Node("ISoftmax", 1, With(good, String("method", "exact"))), [Row(4)], "method=\"exact\"");
        AssertRejected(new ISoftmax(), Node("ISoftmax", 1, With(good, Int("y_zero_point", 3))), [Row(4)], "zero point 0");
        AssertRejected(new ISoftmax(), Node("ISoftmax", 1, Without(good, "x_multiplier")), [Row(4)], "'x_multiplier' is missing");
        AssertRejected(new ISoftmax(), Node("ISoftmax", 1, With(good, Int("x_multiplier", 12345))), [Row(4)], "not a normalized fixed-point multiplier");
        AssertRejected(new ISoftmax(), Node("ISoftmax", 1, good.Values), [From(ElementType.Int8, [], [1])], "scalar");
        AssertRejected(new ISoftmax(), Node("ISoftmax", 1, With(good, Int("axis", 0))), [Row(4)], "unknown attribute 'axis'");
    }

    [Fact]
    public void IGelu_rejects_float_requantization_and_unknown_methods()
    {
        var good = IGelu.Create(IGelu.IbertMethod, Int8Input, Int8Output);
        AssertRejected(new IGelu(), Node("IGelu", 1, With(good, String("requant", "float"))), [Row(4)], "integer-only");
        AssertRejected(new IGelu(), Node("IGelu", 1, With(good, String("method", "tanh"))), [Row(4)], "method=\"tanh\"");
        AssertRejected(new IGelu(), Node("IGelu", 1, Without(good, "method")), [Row(4)], "'method' is missing");
    }

    [Fact]
    public void ILayerNorm_rejects_per_channel_constants_that_do_not_match_the_last_axis()
    {
        var good = ILayerNorm.Create(Int8Input, Int8Output, [1f, 1f, 1f], null, 1e-5f);
        AssertRejected(new ILayerNorm(), Node("ILayerNorm", 1, good.Values), [Row(4)], "expected 4, one per channel");
        AssertRejected(new ILayerNorm(), Node("ILayerNorm", 1, With(good, Int("epsilon_term", -1))), [Row(3)], "epsilon_term");
        AssertRejected(new ILayerNorm(), Node("ILayerNorm", 1, Without(good, "bias")), [Row(3)], "'bias' is missing");
        AssertRejected(new ILayerNorm(), Node("ILayerNorm", 1, With(good, Ints("multiplier", 1 << 30, -(1L << 29), 1 << 30))), [Row(3)], "multiplier[1]");
    }

    [Fact]
    public void ILayerNorm_of_an_all_equal_row_is_beta()
    {
        // Every c_i is 0, so the output is β quantized whatever γ: the ε term keeps the root from being 0 as well.
        float[] beta = [0.3f, -0.6f, 0f];
        var node = Node("ILayerNorm", 1, ILayerNorm.Create(Int8Input, Int8Output, [2f, -1f, 0.5f], beta, 1e-5f).Values);
        var y = Values(Run(new ILayerNorm(), node, [From(ElementType.Int8, [1, 3], [7, 7, 7])]));
        Assert.Equal(beta.Select(b => TransformerReference.Quantize(b, Int8Output.Scale, Int8Output.ZeroPoint, ElementType.Int8)).ToArray(), y);
    }

    private static List<Attribute> With(Dictionary<string, Attribute> attributes, Attribute replacement)
    {
        var copy = new Dictionary<string, Attribute>(attributes) { [replacement.Name] = replacement };
        return copy.Values.ToList();
    }

    private static List<Attribute> Without(Dictionary<string, Attribute> attributes, string name) =>
        attributes.Values.Where(a => a.Name != name).ToList();
}
