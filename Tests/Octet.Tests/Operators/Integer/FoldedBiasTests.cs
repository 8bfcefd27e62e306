using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// Zero-point folding: a QConv / QGemm whose bias carries −x_zp·Σ(w − w_zp) and is marked folded computes the
/// identical integers as the unfolded node, padding included (padded taps hold x_zp in both forms).
/// </summary>
public sealed class FoldedBiasTests
{
    [Fact]
    public void Folded_QConv_equals_unfolded_including_padding()
    {
        var random = new Random(11);
        var x = Tensor.Create(new Shape(1, 2, 5, 5), Enumerable.Range(0, 50).Select(_ => (sbyte)random.Next(-128, 128)).ToArray());
        var w = Tensor.Create(new Shape(3, 2, 3, 3), Enumerable.Range(0, 54).Select(_ => (sbyte)random.Next(-127, 128)).ToArray());
        var b = Tensor.Create(new Shape(3), new[] { 1000, -2000, 30 });
        const int xZeroPoint = -37;
        var zeroPoints = new[] { 0, 3, -5 };

        List<Attribute> Attributes(bool folded)
        {
            var a = new List<Attribute>(IntegerHarness.FixedPoint(ElementType.Int8, 4, [0.001, 0.002, 0.0015]))
            {
                new("kernel_shape", AttributeKind.Ints, new long[] { 3, 3 }),
                new("pads", AttributeKind.Ints, new long[] { 1, 1, 1, 1 }),
                new("x_zero_point", AttributeKind.Int, (long)xZeroPoint),
                new("w_zero_point", AttributeKind.Ints, zeroPoints.Select(z => (long)z).ToArray()),
            };
            if (folded) a.Add(new(FoldedBias.AttributeName, AttributeKind.Int, 1L));
            return a;
        }

        var sums = FoldedBias.WeightSums(w, zeroPoints, 3, i => i / 18);
        var foldedBias = Tensor.Create(new Shape(3), FoldedBias.Apply(b.As<int>(), sums, xZeroPoint, -1));
        var plain = IntegerHarness.Run(new QConv(), IntegerHarness.Node("QConv", 3, Attributes(false)), [x, w, b]);
        var folded = IntegerHarness.Run(new QConv(), IntegerHarness.Node("QConv", 3, Attributes(true)), [x, w, foldedBias]);
        Assert.Equal(plain.As<sbyte>(), folded.As<sbyte>());
        // The fold changed the bias: the test is not vacuous.
        Assert.NotEqual(b.As<int>(), foldedBias.As<int>());
    }
}
