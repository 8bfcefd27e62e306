using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Generator.Emit.Int8;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// QGemm and QMatMul with a constant int8 weight matrix packed NK, which the emitters route through the blocked
/// <c>Int8Gemm</c> kernel: compiled, run and compared bit for bit with the compiler's reference operators on random
/// data. The shapes reach the kernel's edges — one row, odd row and column counts, more rows than one row block, more
/// columns than one weight panel with a partial last panel, K not a multiple of 4 (rows copied to padded rows) — with
/// int8 and uint8 activations, zero points on either side (folded, folded at run time, per-row terms) and both
/// requantization modes. Each test also checks that the kernel it ran is the blocked one.
/// </summary>
public sealed class QMatrixGemmEmitterTests
{
    // Int8Gemm.Multiply( or, fused with the requantization, Int8Gemm.MultiplyRequantize(.
    private const string BlockedKernel = "Int8Gemm.Multiply";

    public enum WeightZeroPoints { None, PerTensor, PerColumn }

    [Theory]
    [InlineData("one row, int8, K a multiple of 4, folded bias", new[] { 1 }, 64, 10, ElementType.Int8, WeightZeroPoints.None, true, true, true)]
    [InlineData("one row, uint8, odd K, a_zero_point folded at run time", new[] { 1 }, 33, 17, ElementType.UInt8, WeightZeroPoints.None, false, true, false)]
    [InlineData("odd rows and columns, K % 4 = 3, no bias, run-time fold", new[] { 7 }, 71, 19, ElementType.Int8, WeightZeroPoints.None, false, false, true)]
    [InlineData("61 rows over two row blocks, per-column w_zero_point", new[] { 1, 61 }, 36, 23, ElementType.Int8, WeightZeroPoints.PerColumn, true, true, false)]
    [InlineData("uint8, per-tensor w_zero_point, run-time fold", new[] { 2, 5 }, 50, 40, ElementType.UInt8, WeightZeroPoints.PerTensor, false, true, true)]
    [InlineData("K 1101: weight panels of 16 with a partial last one", new[] { 3 }, 1101, 37, ElementType.Int8, WeightZeroPoints.None, false, true, true)]
    [InlineData("one row 1024 -> 1000 (shufflenet's classifier)", new[] { 1 }, 1024, 1000, ElementType.Int8, WeightZeroPoints.None, true, true, true)]
    [InlineData("uint8, 13 rows, no bias, per-column w_zero_point, run-time fold", new[] { 13 }, 6, 3, ElementType.UInt8, WeightZeroPoints.PerColumn, false, false, false)]
    public void QGemm_with_packed_int8_weights_is_bit_identical_to_the_reference(string name, int[] rowsShape, int depth, int columns,
        ElementType aType, WeightZeroPoints weightZeroPoints, bool folded, bool hasBias, bool fixedPoint)
    {
        var random = new Random(name.Length * 977 + depth);
        var a = Random8(random, aType, [.. rowsShape, depth]);
        var w = Random8(random, ElementType.Int8, [depth, columns]);
        int aZeroPoint = NonZero(random, aType);
        var wZeroPoints = weightZeroPoints switch
        {
            WeightZeroPoints.None => new int[columns],
            WeightZeroPoints.PerTensor => Enumerable.Repeat(NonZero(random, ElementType.Int8), columns).ToArray(),
            _ => Enumerable.Range(0, columns).Select(_ => NonZero(random, ElementType.Int8)).ToArray(),
        };
        var bias = Enumerable.Range(0, columns).Select(_ => random.Next(-50000, 50000)).ToArray();
        var yType = random.Next(2) == 0 ? ElementType.Int8 : ElementType.UInt8;
        var attributes = Requantization(random, yType, depth, perChannel: columns, fixedPoint);
        attributes.Add(Int("a_zero_point", aZeroPoint));
        attributes.Add(weightZeroPoints == WeightZeroPoints.PerColumn ? Ints("w_zero_point", wZeroPoints.Select(z => (long)z).ToArray()) : Ints("w_zero_point", wZeroPoints[0]));
        var planBias = bias;
        if (folded)
        {
            attributes.Add(Int(FoldedBias.AttributeName, 1));
            planBias = FoldedBias.Apply(hasBias ? bias : null, FoldedBias.WeightSums(w, wZeroPoints, columns, i => i % columns), aZeroPoint, -1);
        }
        bool biasInput = hasBias || folded;
        var referenceInputs = new List<Tensor?> { a, w };
        if (biasInput) referenceInputs.Add(From(ElementType.Int32, [columns], planBias));
        var expected = Run(new QGemm(), Node("QGemm", referenceInputs.Count, attributes), [.. referenceInputs], constantInputs: true);

        var harness = new Int8KernelHarness();
        var inputs = new List<string>
        {
            harness.Arena("a", aType, a.Shape.ToArray(), "rowmajor", Int8KernelHarness.Bytes(a)),
            harness.Weights("w", ElementType.Int8, [depth, columns], "NK", Int8KernelHarness.Bytes(Int8KernelHarness.ToNk(w))),
        };
        if (biasInput) inputs.Add(harness.Constant("b", From(ElementType.Int32, [columns], planBias), "rowmajor", inline: columns < 20));
        harness.Arena("y", yType, expected.Shape.ToArray(), "rowmajor", null);
        var (output, source) = harness.Run(new QGemmEmitter(), "octet.QGemm", [.. inputs], "y", attributes);
        Assert.Contains(BlockedKernel, source);
        Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, yType, expected.Shape.ToArray()), source);
    }

    [Theory]
    [InlineData("rank-3 A over a 2-D B, both zero points", new[] { 2, 7, 33 }, new[] { 33, 9 }, ElementType.Int8, true, true, true)]
    [InlineData("1-D uint8 A, a_zero_point only", new[] { 35 }, new[] { 35, 4 }, ElementType.UInt8, true, false, false)]
    [InlineData("B with a unit batch axis, b_zero_point only", new[] { 3, 40 }, new[] { 1, 40, 6 }, ElementType.Int8, false, true, false)]
    [InlineData("13 uint8 rows, K 5, no zero points", new[] { 1, 13, 5 }, new[] { 5, 21 }, ElementType.UInt8, false, false, true)]
    [InlineData("61 rows (two row blocks) of 192, a_zero_point", new[] { 1, 61, 192 }, new[] { 192, 70 }, ElementType.Int8, true, false, true)]
    [InlineData("one row, K 1101, panels of 16 with a partial last one, both zero points", new[] { 1, 1101 }, new[] { 1101, 37 }, ElementType.UInt8, true, true, false)]
    public void QMatMul_with_a_packed_int8_matrix_is_bit_identical_to_the_reference(string name, int[] aShape, int[] bShape, ElementType aType,
        bool aZeroPointSet, bool bZeroPointSet, bool fixedPoint)
    {
        var random = new Random(name.Length * 313 + aShape.Length);
        var a = Random8(random, aType, aShape);
        var b = Random8(random, ElementType.Int8, bShape);
        int aZeroPoint = aZeroPointSet ? NonZero(random, aType) : 0;
        int bZeroPoint = bZeroPointSet ? NonZero(random, ElementType.Int8) : 0;
        var yType = random.Next(2) == 0 ? ElementType.Int8 : ElementType.UInt8;
        var attributes = Requantization(random, yType, bShape[^2], perChannel: 1, fixedPoint);
        attributes.Add(Int("a_zero_point", aZeroPoint));
        attributes.Add(Int("b_zero_point", bZeroPoint));
        var expected = Run(new QMatMul(), Node("QMatMul", 2, attributes), [a, b]);

        var harness = new Int8KernelHarness();
        harness.Arena("a", aType, aShape, "rowmajor", Int8KernelHarness.Bytes(a));
        harness.Weights("b", ElementType.Int8, bShape, "NK", Int8KernelHarness.Bytes(Int8KernelHarness.ToNk(b)));
        harness.Arena("y", yType, expected.Shape.ToArray(), "rowmajor", null);
        var (output, source) = harness.Run(new QMatMulEmitter(), "octet.QMatMul", ["a", "b"], "y", attributes);
        Assert.Contains(BlockedKernel, source);
        Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, yType, expected.Shape.ToArray()), source);
    }

    [Fact]
    public void Uint8_weights_and_per_batch_matrices_keep_the_dot_product_kernel()
    {
        // The blocked kernel packs signed weights only, and one matrix for all batches: these stay on the fallback.
        var random = new Random(5);
        var attributes = Requantization(random, ElementType.Int8, 20, perChannel: 1, fixedPoint: true);
        attributes.Add(Int("a_zero_point", 3));
        attributes.Add(Int("b_zero_point", 0));
        var harness = new Int8KernelHarness();
        harness.Arena("a", ElementType.Int8, [2, 3, 20], "rowmajor", new byte[120]);
        harness.Weights("b", ElementType.Int8, [2, 20, 4], "NK", new byte[160]);
        harness.Arena("y", ElementType.Int8, [2, 3, 4], "rowmajor", null);
        var emitted = harness.Emit(new QMatMulEmitter(), "octet.QMatMul", ["a", "b"], ["y"], attributes);
        Assert.Empty(emitted.Problems);
        Assert.DoesNotContain(BlockedKernel, emitted.Source);

        var gemmAttributes = Requantization(random, ElementType.Int8, 20, perChannel: 1, fixedPoint: true);
        gemmAttributes.Add(Int("a_zero_point", 0));
        gemmAttributes.Add(Ints("w_zero_point", 128));
        var gemm = new Int8KernelHarness();
        gemm.Arena("a", ElementType.UInt8, [3, 20], "rowmajor", new byte[60]);
        gemm.Weights("w", ElementType.UInt8, [20, 4], "NK", new byte[80]);
        gemm.Arena("y", ElementType.Int8, [3, 4], "rowmajor", null);
        var fallback = gemm.Emit(new QGemmEmitter(), "octet.QGemm", ["a", "w"], ["y"], gemmAttributes);
        Assert.Empty(fallback.Problems);
        Assert.DoesNotContain(BlockedKernel, fallback.Source);
    }

    /// <summary>A zero point of the type's range other than 0.</summary>
    private static int NonZero(Random random, ElementType type)
    {
        var (min, max) = Range(type);
        int value;
        do value = random.Next(min, max + 1); while (value == 0);
        return value;
    }

    /// <summary>
    /// Requantization attributes whose scale keeps a random accumulator of <paramref name="depth"/> products mostly
    /// inside the output range (so the comparison sees more than clamped values); per channel when <paramref name="perChannel"/> &gt; 1.
    /// </summary>
    private static List<Attribute> Requantization(Random random, ElementType yType, int depth, int perChannel, bool fixedPoint)
    {
        var (yMin, yMax) = Range(yType);
        int yZeroPoint = random.Next(yMin / 2, yMax / 2 + 1);
        var scales = Enumerable.Range(0, perChannel).Select(_ => 60.0 / (Math.Sqrt(depth) * 128 * 128) * (0.5 + random.NextDouble())).ToArray();
        return fixedPoint ? FixedPoint(yType, yZeroPoint, scales) : FloatMode(yType, yZeroPoint, scales.Select(s => (float)s).ToArray());
    }
}
