using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Quantization.Contrib;
using Xunit;
using static Octet.Tests.Operators.Quantization.QuantizationHarness;

namespace Octet.Tests.Operators.Quantization;

/// <summary>The com.microsoft quantized operators: dequantize, compute in float, requantize.</summary>
public sealed class ContribOperatorTests
{
    private const string Microsoft = "com.microsoft";

    [Theory]
    [InlineData("QLinearAdd")]
    [InlineData("QLinearMul")]
    [InlineData("QLinearSigmoid")]
    [InlineData("QLinearGlobalAveragePool")]
    [InlineData("QLinearConcat")]
    public void Registered_in_the_com_microsoft_domain_only(string opType)
    {
        var op = OperatorRegistry.Default.Find(Microsoft, opType);
        Assert.NotNull(op);
        Assert.Equal([1], op.SinceVersions);
        Assert.Null(OperatorRegistry.Default.Find("", opType));
    }

    [Fact]
    public void QLinearAdd_broadcasts_a_scalar()
    {
        // a = (A - 10) * 0.5 = [0, 5, 10]; b = 4 * 0.25 = 1; (a + b) / 2 = [0.5, 3, 5.5] → [0, 3, 6], + 100.
        var c = Run(new QLinearAdd(), NodeIn(Microsoft, "QLinearAdd", 1, 8, 1),
            U8([3], 10, 20, 30), Scalar(0.5f), Scalar((byte)10), Scalar((byte)4), Scalar(0.25f), Scalar((byte)0), Scalar(2f), Scalar((byte)100))[0];
        Assert.Equal(new Shape(3), c.Shape);
        Assert.Equal(new byte[] { 100, 103, 106 }, c.As<byte>());
    }

    [Fact]
    public void QLinearAdd_omitted_zero_points_are_zero()
    {
        var c = Run(new QLinearAdd(), NodeIn(Microsoft, "QLinearAdd", 1, 7, 1),
            I8([2], -4, 4), Scalar(1f), null, I8([2], 1, 1), Scalar(1f), null, Scalar(1f))[0];
        Assert.Equal(new sbyte[] { -3, 5 }, c.As<sbyte>());
    }

    [Fact]
    public void QLinearMul_broadcasts_both_ways_and_saturates()
    {
        // a = [2, -3], b = [[1], [2]]: a * b = [[2, -3], [4, -6]]; / 0.5 = [[4, -6], [8, -12]], + 1.
        var c = Run(new QLinearMul(), NodeIn(Microsoft, "QLinearMul", 1, 8, 1),
            I8([2], 4, -6), Scalar(0.5f), Scalar((sbyte)0), I8([2, 1], 1, 2), Scalar(1f), Scalar((sbyte)0), Scalar(0.5f), Scalar((sbyte)1))[0];
        Assert.Equal(new Shape(2, 2), c.Shape);
        Assert.Equal(new sbyte[] { 5, -5, 9, -11 }, c.As<sbyte>());

        var saturated = Run(new QLinearMul(), NodeIn(Microsoft, "QLinearMul", 1, 8, 1),
            I8([2], 100, -100), Scalar(1f), Scalar((sbyte)0), I8([1], 100), Scalar(1f), Scalar((sbyte)0), Scalar(1f), Scalar((sbyte)0))[0];
        Assert.Equal(new sbyte[] { 127, -128 }, saturated.As<sbyte>());
    }

    [Fact]
    public void QLinearBinary_rejects_mixed_types_and_per_axis_scales()
    {
        AssertRejected(new QLinearAdd(), NodeIn(Microsoft, "QLinearAdd", 1, 8, 1),
            [U8([1], 1), Scalar(1f), null, I8([1], 1), Scalar(1f), null, Scalar(1f), null], "must have the same type");
        AssertRejected(new QLinearAdd(), NodeIn(Microsoft, "QLinearAdd", 1, 8, 1),
            [U8([2], 1, 1), F([2], 1, 1), null, U8([1], 1), Scalar(1f), null, Scalar(1f), null], "per-tensor");
        AssertRejected(new QLinearAdd(), NodeIn(Microsoft, "QLinearAdd", 1, 8, 1),
            [U8([2], 1, 1), Scalar(1f), null, U8([3], 1, 1, 1), Scalar(1f), null, Scalar(1f), null], "cannot be broadcast");
    }

    [Fact]
    public void QLinearSigmoid_maps_through_the_float_sigmoid()
    {
        // x = (X - 128) * 0.1 = [0, 12.7, -12.8]; sigmoid = [0.5, 0.999997, 0.0000028]; * 256 = [128, 255.999 → 256 → 255, 0.0007 → 0].
        var y = Run(new QLinearSigmoid(), NodeIn(Microsoft, "QLinearSigmoid", 1, 5, 1),
            U8([3], 128, 255, 0), Scalar(0.1f), Scalar((byte)128), Scalar(1f / 256), Scalar((byte)0))[0];
        Assert.Equal(new byte[] { 128, 255, 0 }, y.As<byte>());

        var signed = Run(new QLinearSigmoid(), NodeIn(Microsoft, "QLinearSigmoid", 1, 5, 1),
            I8([3], 0, 127, -128), Scalar(0.1f), Scalar((sbyte)0), Scalar(1f / 256), Scalar((sbyte)-128))[0];
        Assert.Equal(new sbyte[] { 0, 127, -128 }, signed.As<sbyte>());
    }

    [Fact]
    public void QLinearGlobalAveragePool_channels_first_and_last()
    {
        // Channel 0: (X - 1) = [0, 1, 2, 3], mean 1.5 * 2 = 3 → 3 + 3 = 6.
        // Channel 1: (X - 1) = [9, 9, 9, 10], mean 9.25 * 2 = 18.5 → 18 (even) + 3 = 21.
        var first = Run(new QLinearGlobalAveragePool(), NodeIn(Microsoft, "QLinearGlobalAveragePool", 1, 5, 1),
            U8([1, 2, 2, 2], 1, 2, 3, 4, 10, 10, 10, 11), Scalar(2f), Scalar((byte)1), Scalar(1f), Scalar((byte)3))[0];
        Assert.Equal(new Shape(1, 2, 1, 1), first.Shape);
        Assert.Equal(new byte[] { 6, 21 }, first.As<byte>());

        var last = Run(new QLinearGlobalAveragePool(), NodeIn(Microsoft, "QLinearGlobalAveragePool", 1, 5, 1, Int("channels_last", 1)),
            U8([1, 2, 2, 2], 1, 10, 2, 10, 3, 10, 4, 11), Scalar(2f), Scalar((byte)1), Scalar(1f), Scalar((byte)3))[0];
        Assert.Equal(new Shape(1, 1, 1, 2), last.Shape);
        Assert.Equal(new byte[] { 6, 21 }, last.As<byte>());
    }

    [Fact]
    public void QLinearGlobalAveragePool_rejects_low_rank_input()
    {
        AssertRejected(new QLinearGlobalAveragePool(), NodeIn(Microsoft, "QLinearGlobalAveragePool", 1, 5, 1),
            [U8([2, 2], 1, 2, 3, 4), Scalar(1f), Scalar((byte)0), Scalar(1f), Scalar((byte)0)], "rank 3 or more");
    }

    [Fact]
    public void QLinearConcat_requantizes_each_input_into_the_output_quantization()
    {
        // X0 has the output's parameters (copied); X1 = (7 - 5) * 2 = 4.
        var y = Run(new QLinearConcat(), NodeIn(Microsoft, "QLinearConcat", 1, 8, 1, Int("axis", 1)),
            Scalar(1f), Scalar((byte)0), U8([1, 2], 10, 20), Scalar(1f), Scalar((byte)0), U8([1, 1], 7), Scalar(2f), Scalar((byte)5))[0];
        Assert.Equal(new Shape(1, 3), y.Shape);
        Assert.Equal(new byte[] { 10, 20, 4 }, y.As<byte>());

        var rows = Run(new QLinearConcat(), NodeIn(Microsoft, "QLinearConcat", 1, 8, 1, Int("axis", -2)),
            Scalar(0.5f), Scalar((sbyte)0), I8([1, 2], 1, 2), Scalar(0.5f), Scalar((sbyte)0), I8([2, 2], 1, 2, 3, 4), Scalar(1f), Scalar((sbyte)0))[0];
        Assert.Equal(new Shape(3, 2), rows.Shape);
        Assert.Equal(new sbyte[] { 1, 2, 2, 4, 6, 8 }, rows.As<sbyte>());
    }

    [Fact]
    public void QLinearConcat_rejects_malformed_input_lists()
    {
        var op = new QLinearConcat();
        AssertRejected(op, NodeIn(Microsoft, "QLinearConcat", 1, 4, 1, Int("axis", 0)),
            [Scalar(1f), Scalar((byte)0), U8([1], 1), Scalar(1f)], "triples");
        AssertRejected(op, NodeIn(Microsoft, "QLinearConcat", 1, 8, 1, Int("axis", 1)),
            [Scalar(1f), Scalar((byte)0), U8([1, 2], 1, 2), Scalar(1f), Scalar((byte)0), U8([2, 1], 1, 2), Scalar(1f), Scalar((byte)0)],
            "except along axis 1");
        AssertRejected(op, NodeIn(Microsoft, "QLinearConcat", 1, 5, 1, Int("axis", 0)),
            [Scalar(1f), Scalar((byte)0), I8([1], 1), Scalar(1f), Scalar((sbyte)0)], "must have the same type");
        AssertRejected(op, NodeIn(Microsoft, "QLinearConcat", 1, 5, 1),
            [Scalar(1f), Scalar((byte)0), U8([1], 1), Scalar(1f), Scalar((byte)0)], "'axis' is missing");
    }
}
