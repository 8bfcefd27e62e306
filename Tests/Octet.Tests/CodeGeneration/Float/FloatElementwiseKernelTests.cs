using Octet.Compiler.Graph;
using Octet.Generator.Emit.Float;
using Octet.Generator.Plan;
using Xunit;
using static Octet.Tests.CodeGeneration.Float.FloatKernelHarness;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>
/// Generated float32 element-wise kernels against the reference executor. Each element is computed by the same
/// IEEE operation (or the same MathF call) as the reference, so results must be bit-identical.
/// </summary>
public sealed class FloatElementwiseKernelTests
{
    public static TheoryData<string, int[], int[]> Broadcasts => new()
    {
        { "Add", [2, 3, 4], [2, 3, 4] },
        { "Sub", [2, 3, 4], [4] },
        { "Mul", [2, 3, 4], [3, 1] },
        { "Div", [3, 1], [2, 3, 4] },
        { "Sub", [1], [2, 3, 4] },
        { "Add", [2, 1, 4], [1, 3, 1] },
        { "Div", [1, 5, 1, 7], [2, 1, 6, 1] },
        { "Mul", [], [3, 2] },
        { "Add", [], [] },
        { "Sub", [1, 1], [1] },
    };

    [Theory]
    [MemberData(nameof(Broadcasts))]
    public void Binary_rowmajor_broadcasting(string op, int[] a, int[] b)
    {
        var inputs = new Operand?[] { new("a", Random(1, a)), new("b", Random(2, b)) };
        AssertAgrees(Run(new FloatBinaryEmitter(), op, 14, inputs, "rowmajor"), 0);
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Div")]
    public void Binary_with_constants_from_weights_and_inline(string op)
    {
        var weights = new Operand?[] { new("a", Random(1, 2, 40)), new("b", Random(2, 40), Storage: PlanStorage.Weights) };
        AssertAgrees(Run(new FloatBinaryEmitter(), op, 14, weights, "rowmajor"), 0);
        var inline = new Operand?[] { new("a", Random(3, 1), Storage: PlanStorage.Inline), new("b", Random(4, 3, 5)) };
        AssertAgrees(Run(new FloatBinaryEmitter(), op, 14, inline, "rowmajor"), 0);
    }

    [Fact]
    public void Binary_same_shape_nhwc_in_place()
    {
        var inputs = new Operand?[] { new("a", Random(1, 1, 5, 3, 4), "NHWC"), new("b", Random(2, 1, 5, 3, 4), "NHWC") };
        AssertAgrees(Run(new FloatBinaryEmitter(), "Add", 14, inputs, "NHWC", inPlaceWith: 0), 0);
        AssertAgrees(Run(new FloatBinaryEmitter(), "Sub", 14, inputs, "NHWC", inPlaceWith: 1), 0);
    }

    [Fact]
    public void Binary_nhwc_with_a_per_channel_rowmajor_constant()
    {
        // A bias [C, 1, 1] added to an NHWC activation: in memory the bias runs along the innermost (channel) axis.
        var inputs = new Operand?[] { new("a", Random(1, 2, 6, 3, 5), "NHWC"), new("b", Random(2, 6, 1, 1), Storage: PlanStorage.Weights) };
        AssertAgrees(Run(new FloatBinaryEmitter(), "Mul", 14, inputs, "NHWC"), 0);
    }

    [Fact]
    public void Binary_mixed_layouts_walk_by_strides()
    {
        var inputs = new Operand?[] { new("a", Random(1, 1, 4, 3, 5)), new("b", Random(2, 1, 4, 3, 5), "NHWC") };
        AssertAgrees(Run(new FloatBinaryEmitter(), "Sub", 14, inputs, "rowmajor"), 0);
    }

    public static TheoryData<string, Compiler.Graph.Attribute[]> Unary => new()
    {
        { "Relu", [] },
        { "LeakyRelu", [] },
        { "LeakyRelu", [FloatAttr("alpha", 0.2f)] },
        { "Sigmoid", [] },
        { "Exp", [] },
        { "Tanh", [] },
    };

    [Theory]
    [MemberData(nameof(Unary))]
    public void Unary_activations(string op, Compiler.Graph.Attribute[] attributes)
    {
        var x = Random(5, 2, 3, 7, 5);
        var values = x.As<float>();
        for (int i = 0; i < values.Length; i++) values[i] *= 8;
        values[0] = float.NaN;
        values[1] = -0f;
        AssertAgrees(Run(new FloatUnaryEmitter(), op, 16, [new Operand("x", x)], "rowmajor", attributes), 0);
        AssertAgrees(Run(new FloatUnaryEmitter(), op, 16, [new Operand("x", x, "NHWC")], "NHWC", attributes, inPlaceWith: 0), 0);
        AssertAgrees(Run(new FloatUnaryEmitter(), op, 16, [new Operand("x", x, "NHWC")], "rowmajor", attributes), 0);
    }

    [Fact]
    public void Clip_with_inline_bounds_weights_bounds_missing_bounds_and_attributes()
    {
        var x = Random(6, 1, 4, 5, 6);
        var min = Tensor.Create(Shape.Scalar, new[] { -0.25f });
        var max = Tensor.Create(Shape.Scalar, new[] { 0.5f });
        AssertAgrees(Run(new FloatClipEmitter(), "Clip", 13,
            [new("x", x, "NHWC"), new("min", min, Storage: PlanStorage.Inline), new("max", max, Storage: PlanStorage.Inline)], "NHWC"), 0);
        AssertAgrees(Run(new FloatClipEmitter(), "Clip", 13,
            [new("x", x), new("min", min, Storage: PlanStorage.Weights), null], "rowmajor"), 0);
        AssertAgrees(Run(new FloatClipEmitter(), "Clip", 13,
            [new("x", x), null, new("max", max, Storage: PlanStorage.Inline)], "rowmajor", inPlaceWith: 0), 0);
        // Opset 6: bounds are attributes.
        AssertAgrees(Run(new FloatClipEmitter(), "Clip", 6, [new("x", x)], "rowmajor", [FloatAttr("min", 0f), FloatAttr("max", 0.3f)]), 0);
        // A bound that is an activation is read at run time.
        AssertAgrees(Run(new FloatClipEmitter(), "Clip", 13, [new("x", x), new("min", min), null], "rowmajor"), 0);
    }

    [Fact]
    public void A_non_float_operand_is_reported()
    {
        var problems = FloatEmitterProblems.Of(new FloatBinaryEmitter(), "Add",
            [FloatEmitterProblems.Tensor("a", [4], "rowmajor"), FloatEmitterProblems.Tensor("b", [4], "rowmajor", type: "int8")],
            FloatEmitterProblems.Tensor("y", [4], "rowmajor"));
        Assert.Contains(problems, p => p.Contains("'b'") && p.Contains("int8"));
        var broadcast = FloatEmitterProblems.Of(new FloatBinaryEmitter(), "Add",
            [FloatEmitterProblems.Tensor("a", [4], "rowmajor"), FloatEmitterProblems.Tensor("b", [3], "rowmajor")],
            FloatEmitterProblems.Tensor("y", [4], "rowmajor"));
        Assert.Contains(broadcast, p => p.Contains("does not broadcast"));
    }
}
