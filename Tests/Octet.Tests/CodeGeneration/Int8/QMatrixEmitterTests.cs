using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Generator.Emit.Int8;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The emitted QGemm and QMatMul kernels, compiled and run, against the compiler's reference operators on the
/// same random data, bit for bit: packed NK and row-major weights, folded and unfolded biases, per-column and
/// per-tensor zero points and requantization, both requantization modes, batch broadcasting, 1-D operands.
/// </summary>
public sealed class QMatrixEmitterTests
{
    [Theory]
    [InlineData("int8, packed NK weights, per-column fixed-point, folded bias", true, true, true, true, false, false)]
    [InlineData("uint8, packed NK weights, per-column w_zp, float, unfolded bias", false, true, true, false, true, false)]
    [InlineData("int8 A, uint8 row-major weights in the arena, per-column w_zp, fixed-point, unfolded bias", true, false, true, false, true, true)]
    [InlineData("uint8, row-major weights, per-tensor float, folded bias", false, false, false, true, false, true)]
    [InlineData("int8, packed NK, no bias, unfolded a_zp, per-tensor fixed-point", true, true, false, false, false, false)]
    public void QGemm_kernel_is_bit_identical_to_the_reference(string name, bool int8, bool packed, bool perColumn, bool folded, bool weightZeroPoints, bool weightsInArena)
    {
        var random = new Random(name.Length * 131 + (int8 ? 1 : 0));
        var aType = int8 ? ElementType.Int8 : ElementType.UInt8;
        var wType = int8 ? (weightZeroPoints ? ElementType.UInt8 : ElementType.Int8) : ElementType.UInt8;
        bool hasBias = !name.Contains("no bias");
        foreach (var (rowsShape, depth, columns) in new[] { (new[] { 2, 3 }, 70, 9), (new[] { 1 }, 5, 3), (new[] { 4 }, 33, 17) })
        {
            var a = Random8(random, aType, [.. rowsShape, depth]);
            var w = Random8(random, wType, [depth, columns]);
            var (aMin, aMax) = Range(aType);
            var (wMin, wMax) = Range(wType);
            int aZeroPoint = random.Next(aMin, aMax + 1);
            var wZeroPoints = Enumerable.Range(0, columns).Select(_ => weightZeroPoints ? random.Next(wMin, wMax + 1) : 0).ToArray();
            if (!perColumn) wZeroPoints = Enumerable.Repeat(wZeroPoints[0], columns).ToArray();
            var bias = Enumerable.Range(0, columns).Select(_ => random.Next(-50000, 50000)).ToArray();
            var yType = random.Next(2) == 0 ? ElementType.Int8 : ElementType.UInt8;
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = random.Next(yMin, yMax + 1);
            var multipliers = Enumerable.Range(0, perColumn ? columns : 1).Select(_ => Math.Pow(2, -11 - random.NextDouble() * 5)).ToArray();
            var attributes = random.Next(2) == 0 || name.Contains("fixed-point")
                ? (name.Contains("float") ? FloatMode(yType, yZeroPoint, multipliers.Select(m => (float)m).ToArray()) : FixedPoint(yType, yZeroPoint, multipliers, clampMin: yZeroPoint))
                : FloatMode(yType, yZeroPoint, multipliers.Select(m => (float)m).ToArray());
            attributes.Add(Int("a_zero_point", aZeroPoint));
            attributes.Add(perColumn ? Ints("w_zero_point", wZeroPoints.Select(z => (long)z).ToArray()) : Ints("w_zero_point", wZeroPoints[0]));
            var planBias = bias;
            if (folded)
            {
                attributes.Add(Int(FoldedBias.AttributeName, 1));
                planBias = FoldedBias.Apply(bias, FoldedBias.WeightSums(w, wZeroPoints, columns, i => i % columns), aZeroPoint, -1);
            }
            var referenceInputs = new List<Tensor?> { a, w };
            if (hasBias) referenceInputs.Add(From(ElementType.Int32, [columns], planBias));
            var expected = Run(new QGemm(), Node("QGemm", referenceInputs.Count, attributes), [.. referenceInputs], constantInputs: true);

            var harness = new Int8KernelHarness();
            var inputs = new List<string> { harness.Arena("a", aType, a.Shape.ToArray(), "rowmajor", Int8KernelHarness.Bytes(a)) };
            if (weightsInArena) inputs.Add(harness.Arena("w", wType, [depth, columns], "rowmajor", Int8KernelHarness.Bytes(w)));
            else inputs.Add(packed ? harness.Weights("w", wType, [depth, columns], "NK", Int8KernelHarness.Bytes(Int8KernelHarness.ToNk(w)))
                                   : harness.Weights("w", wType, [depth, columns], "rowmajor", Int8KernelHarness.Bytes(w)));
            if (hasBias) inputs.Add(harness.Constant("b", From(ElementType.Int32, [columns], planBias), "rowmajor", inline: columns < 10));
            harness.Arena("y", yType, expected.Shape.ToArray(), "rowmajor", null);
            var (output, source) = harness.Run(new QGemmEmitter(), "octet.QGemm", [.. inputs], "y", attributes);
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, yType, expected.Shape.ToArray()), source);
        }
    }

    [Theory]
    [InlineData("two int8 activations, batch broadcast", new[] { 2, 3, 4, 20 }, new[] { 3, 20, 5 }, false, ElementType.Int8, ElementType.Int8, true)]
    [InlineData("uint8 x int8 constant packed NK, batch broadcast of A", new[] { 3, 40 }, new[] { 2, 40, 6 }, true, ElementType.UInt8, ElementType.Int8, false)]
    [InlineData("1-D A times matrix, packed NK", new[] { 35 }, new[] { 35, 4 }, true, ElementType.Int8, ElementType.UInt8, true)]
    [InlineData("matrix times 1-D B, row-major", new[] { 2, 5, 7 }, new[] { 7 }, false, ElementType.UInt8, ElementType.UInt8, false)]
    [InlineData("batched both sides, packed NK B with a broadcast batch axis", new[] { 2, 1, 3, 33 }, new[] { 1, 2, 33, 3 }, true, ElementType.Int8, ElementType.Int8, true)]
    public void QMatMul_kernel_is_bit_identical_to_the_reference(string name, int[] aShape, int[] bShape, bool packed, ElementType aType, ElementType bType, bool fixedPoint)
    {
        var random = new Random(name.Length * 7 + aShape.Length);
        for (int trial = 0; trial < 3; trial++)
        {
            var a = Random8(random, aType, aShape);
            var b = Random8(random, bType, bShape);
            var (aMin, aMax) = Range(aType);
            var (bMin, bMax) = Range(bType);
            // Trial 0: both zero points 0 (the terms vanish); then random ones.
            int aZeroPoint = trial == 0 ? Math.Max(aMin, 0) : random.Next(aMin, aMax + 1);
            int bZeroPoint = trial == 0 ? Math.Max(bMin, 0) : random.Next(bMin, bMax + 1);
            var yType = trial == 2 ? ElementType.UInt8 : ElementType.Int8;
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = random.Next(yMin, yMax + 1);
            double multiplier = Math.Pow(2, -12 - random.NextDouble() * 3);
            var attributes = fixedPoint ? FixedPoint(yType, yZeroPoint, [multiplier]) : FloatMode(yType, yZeroPoint, [(float)multiplier]);
            attributes.Add(Int("a_zero_point", aZeroPoint));
            attributes.Add(Int("b_zero_point", bZeroPoint));
            var expected = Run(new QMatMul(), Node("QMatMul", 2, attributes), [a, b]);

            var harness = new Int8KernelHarness();
            harness.Arena("a", aType, aShape, "rowmajor", Int8KernelHarness.Bytes(a));
            if (packed) harness.Weights("b", bType, bShape, bShape.Length == 1 ? "rowmajor" : "NK", Int8KernelHarness.Bytes(bShape.Length == 1 ? b : Int8KernelHarness.ToNk(b)));
            else harness.Arena("b", bType, bShape, "rowmajor", Int8KernelHarness.Bytes(b));
            harness.Arena("y", yType, expected.Shape.ToArray(), "rowmajor", null);
            var (output, source) = harness.Run(new QMatMulEmitter(), "octet.QMatMul", ["a", "b"], "y", attributes);
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, yType, expected.Shape.ToArray()), source);
        }
    }
}
