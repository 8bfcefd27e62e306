using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// Inference rejects every malformed requantization (and other shared) attribute with an error naming the node
/// and the attribute, before any kernel runs.
/// </summary>
public sealed class IntegerValidationTests
{
    private static List<Attribute> Valid() =>
        [String("requant", "fixed-point"), Int("y_type", 3), Ints("multiplier", 1 << 30), Ints("shift", 0)];

    private static List<Attribute> With(List<Attribute> attributes, Attribute replacement)
    {
        attributes.RemoveAll(a => a.Name == replacement.Name);
        attributes.Add(replacement);
        return attributes;
    }

    private static List<Attribute> Without(string name)
    {
        var attributes = Valid();
        attributes.RemoveAll(a => a.Name == name);
        return attributes;
    }

    public static TheoryData<string, List<Attribute>, string> Malformed => new()
    {
        { "no requant", Without("requant"), "required attribute 'requant' is missing" },
        { "unknown requant", With(Valid(), String("requant", "fixed")), "requant=\"fixed\"; expected \"fixed-point\" or \"float\"" },
        { "no y_type", Without("y_type"), "required attribute 'y_type' is missing" },
        { "y_type int32", With(Valid(), Int("y_type", 6)), "y_type=6; expected 2 (uint8) or 3 (int8)" },
        { "y_zero_point out of int8", With(Valid(), Int("y_zero_point", 200)), "'y_zero_point' = 200 is outside the int8 range [-128, 127]" },
        { "clamp_min out of int8", With(Valid(), Int("clamp_min", -129)), "'clamp_min' = -129 is outside the int8 range" },
        { "clamp_max out of uint8", With(With(Valid(), Int("y_type", 2)), Int("clamp_max", 256)), "'clamp_max' = 256 is outside the uint8 range [0, 255]" },
        { "clamp_min above clamp_max", With(With(Valid(), Int("clamp_min", 10)), Int("clamp_max", 5)), "clamp_min=10 is greater than clamp_max=5" },
        { "no multiplier", Without("multiplier"), "required attribute 'multiplier' is missing" },
        { "no shift", Without("shift"), "required attribute 'shift' is missing" },
        { "multiplier not normalized", With(Valid(), Ints("multiplier", 5)), "'multiplier' = 5 is not a normalized fixed-point multiplier" },
        { "multiplier 2^31", With(Valid(), Ints("multiplier", 1L << 31)), "is not a normalized fixed-point multiplier" },
        { "shift above 31", With(Valid(), Ints("shift", 32)), "'shift' = 32 is above 31" },
        { "per-channel on a per-tensor op", With(With(Valid(), Ints("multiplier", 1 << 30, 1 << 30)), Ints("shift", 0, 0)), "this operator's requantization is per tensor" },
        { "misspelled attribute", With(Valid(), Int("y_zeropoint", 3)), "unknown attribute 'y_zeropoint'" },
        { "float scale in fixed-point mode", With(Valid(), Floats("scale", 0.5f)), "unknown attribute 'scale'" },
        { "fixed-point multiplier in float mode", [String("requant", "float"), Int("y_type", 3), Floats("scale", 0.5f), Ints("multiplier", 1 << 30)], "unknown attribute 'multiplier'" },
        { "no scale", [String("requant", "float"), Int("y_type", 3)], "required attribute 'scale' is missing" },
        { "negative scale", [String("requant", "float"), Int("y_type", 3), Floats("scale", -0.5f)], "scales must be finite and non-negative" },
        { "NaN scale", [String("requant", "float"), Int("y_type", 3), Floats("scale", float.NaN)], "scales must be finite and non-negative" },
        { "x_zero_point out of int8", With(Valid(), Int("x_zero_point", 128)), "'x_zero_point' = 128 is outside the int8 range" },
        { "wrong attribute kind", With(Valid(), Floats("shift", 1f)), "attribute 'shift' is Floats, expected Ints" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Requantization_attributes_are_checked(string problem, List<Attribute> attributes, string fragment)
    {
        _ = problem;
        AssertRejected(new Requantize(), Node("Requantize", 1, attributes), [Tensor.Zeros(ElementType.Int8, new Shape(2))], fragment);
    }

    [Fact]
    public void Multiplier_and_shift_lengths_must_agree()
    {
        var node = Node("QGemm", 2, [String("requant", "fixed-point"), Int("y_type", 3), Ints("multiplier", 1 << 30, 1 << 30, 1 << 30), Ints("shift", 0)]);
        var e = Assert.Throws<OctetException>(() => Requantizer.Read(node, 3, "column"));
        Assert.Contains("'multiplier' (3 values) and 'shift' (1 values) must have the same length", e.Message);
    }

    [Fact]
    public void Inputs_must_be_eight_bit()
    {
        AssertRejected(new Requantize(), Node("Requantize", 1, Valid()), [Tensor.Zeros(ElementType.Int32, new Shape(2))], "expected int8 or uint8");
        AssertRejected(new QMul(), Node("QMul", 2, Valid()), [Tensor.Zeros(ElementType.Int8, new Shape(2)), Tensor.Zeros(ElementType.Float32, new Shape(2))], "expected int8 or uint8");
        AssertRejected(new QConv(), Node("QConv", 3, Valid()),
            [Tensor.Zeros(ElementType.Int8, new Shape(1, 1, 2, 2)), Tensor.Zeros(ElementType.Int8, new Shape(1, 1, 1, 1)), Tensor.Zeros(ElementType.Int8, new Shape(1))],
            "accepts int32");
    }

    [Fact]
    public void Every_integer_operator_is_registered_in_the_octet_domain_at_version_1()
    {
        string[] names = ["QConv", "QGemm", "QMatMul", "QAdd", "QMul", "Requantize", "Table", "QAveragePool", "QGlobalAveragePool"];
        foreach (var name in names)
        {
            var definition = OperatorRegistry.Default.Find("octet", name);
            Assert.NotNull(definition);
            Assert.Equal("octet", definition.Domain);
            Assert.Equal([1], definition.SinceVersions);
            Assert.Equal(1, OperatorRegistry.Default.ResolveVersion("octet", name, 1));
            Assert.Null(OperatorRegistry.Default.Find("", name)); // not in the ONNX domain
        }
    }
}
