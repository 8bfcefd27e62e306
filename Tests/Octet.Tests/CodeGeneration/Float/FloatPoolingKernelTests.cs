using Octet.Generator.Emit.Float;
using Octet.Generator.Plan;
using Xunit;
using static Octet.Tests.CodeGeneration.Float.FloatKernelHarness;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>
/// Generated float32 AveragePool, GlobalAveragePool and Softmax kernels against the reference executor. They sum
/// in double in the reference's order and round once, as the reference does, so results must be bit-identical.
/// </summary>
public sealed class FloatPoolingKernelTests
{
    public static TheoryData<Compiler.Graph.Attribute[]> Pools => new()
    {
        { [Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)] },
        { [Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)] },
        { [Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 1)] },
        { [Ints("kernel_shape", 3, 2), Ints("pads", 0, 1, 2, 0), Ints("strides", 2, 3), Int("ceil_mode", 1)] },
        { [Ints("kernel_shape", 3, 2), Ints("pads", 0, 1, 2, 0), Ints("strides", 2, 3), Int("ceil_mode", 1), Int("count_include_pad", 1)] },
        { [Ints("kernel_shape", 2, 3), Ints("dilations", 2, 2), Ints("pads", 1, 2, 1, 2)] },
        { [Ints("kernel_shape", 3, 3), String("auto_pad", "SAME_UPPER"), Ints("strides", 2, 2)] },
        { [Ints("kernel_shape", 3, 3), String("auto_pad", "SAME_LOWER"), Int("count_include_pad", 1)] },
    };

    [Theory]
    [MemberData(nameof(Pools))]
    public void AveragePool_nhwc(Compiler.Graph.Attribute[] attributes)
    {
        AssertAgrees(Run(new FloatAveragePoolEmitter(), "AveragePool", 19, [new Operand("x", Random(1, 2, 5, 7, 8), "NHWC")], "NHWC", attributes), 0);
    }

    [Fact]
    public void GlobalAveragePool_nhwc()
    {
        AssertAgrees(Run(new FloatGlobalAveragePoolEmitter(), "GlobalAveragePool", 13, [new Operand("x", Random(2, 2, 13, 6, 5), "NHWC")], "NHWC"), 0);
        AssertAgrees(Run(new FloatGlobalAveragePoolEmitter(), "GlobalAveragePool", 13, [new Operand("x", Random(3, 1, 7, 1, 1), "NHWC")], "rowmajor"), 0);
    }

    public static TheoryData<int, int[], long?> Softmaxes => new()
    {
        { 13, [3, 10], null },
        { 13, [2, 3, 4], 1 },
        { 13, [2, 3, 4], 0 },
        { 13, [2, 3, 4], -2 },
        { 13, [7], null },
        { 11, [2, 3, 4], null },
        { 11, [2, 3, 4], 2 },
        { 11, [2, 3, 4], 0 },
        { 1, [4, 5], -1 },
    };

    [Theory]
    [MemberData(nameof(Softmaxes))]
    public void Softmax_by_axis_and_opset(int opset, int[] shape, long? axis)
    {
        var x = Random(4, shape);
        var values = x.As<float>();
        for (int i = 0; i < values.Length; i++) values[i] *= 10;
        var attributes = axis is { } a ? new[] { Int("axis", a) } : [];
        // The plan carries the node's operator version as the "opset" attribute (it decides the grouping before 13).
        var planAttributes = attributes.Select(at => new PlanAttribute(at.Name, PlanAttributeKind.Int, new EquatableArray<string>([at.Value!.ToString()!])))
            .Append(new PlanAttribute(FloatSoftmaxEmitter.OpsetAttribute, PlanAttributeKind.Int, new EquatableArray<string>([opset.ToString()])))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        AssertAgrees(Run(new FloatSoftmaxEmitter(), "Softmax", opset, [new Operand("x", x)], "rowmajor", attributes, planAttributes: planAttributes), 0);
        AssertAgrees(Run(new FloatSoftmaxEmitter(), "Softmax", opset, [new Operand("x", x)], "rowmajor", attributes, inPlaceWith: 0, planAttributes: planAttributes), 0);
    }
}
