using System.Numerics;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// What MatMulInteger and QLinearMatMul share: numpy.matmul geometry (the last two axes are matrices, the
/// leading axes broadcast; a 1-D A is a row <c>[1, K]</c>, a 1-D B a column <c>[K, 1]</c>, and the added axis
/// is dropped from the result), zero points and scales per tensor, per row of A or per column of B, and the
/// exact int32 product of the zero-point-shifted operands (wrapping on overflow, which the specs allow).
/// </summary>
/// <remarks>
/// A per-row parameter of A <c>[..., M, K]</c> is <c>[M]</c> or <c>[..., M, 1]</c>; a per-column parameter of
/// B <c>[..., K, N]</c> is <c>[N]</c> or <c>[..., 1, N]</c>. Either is kept as a shape that broadcasts
/// (numpy-style) over its operand — <c>[M]</c> becomes <c>[M, 1]</c> — so one broadcast map applies it.
/// </remarks>
internal sealed record IntegerMatMul(int M, int K, int N, Shape MatrixA, Shape MatrixB, Shape BatchA, Shape BatchB, Shape Batch, Shape Output)
{
    /// <summary>The output with both matrix axes kept: <c>[batch..., M, N]</c>.</summary>
    public Shape FullOutput => new([.. Batch, M, N]);

    public static IntegerMatMul Plan(Node node, Shape a, Shape b)
    {
        OctetException Error(string problem) => OctetException.AtNode(node, problem);
        if (a.Rank == 0 || b.Rank == 0)
            throw Error($"operands must have rank 1 or more (A {a}, B {b}); matrix products do not take scalars");
        var matrixA = a.Rank == 1 ? new Shape(1, a[0]) : a;
        var matrixB = b.Rank == 1 ? new Shape(b[0], 1) : b;
        int m = matrixA[^2], k = matrixA[^1], kB = matrixB[^2], n = matrixB[^1];
        if (k != kB) throw Error($"inner dimensions differ: A {a} has {k} columns but B {b} has {kB} rows");
        var batchA = new Shape(matrixA.Take(matrixA.Rank - 2).ToArray());
        var batchB = new Shape(matrixB.Take(matrixB.Rank - 2).ToArray());
        var batch = Broadcasting.TryBroadcast(batchA, batchB)
            ?? throw Error($"batch dimensions of A {a} and B {b} cannot be broadcast together");
        var output = new List<int>(batch);
        if (a.Rank > 1) output.Add(m);
        if (b.Rank > 1) output.Add(n);
        return new IntegerMatMul(m, k, n, matrixA, matrixB, batchA, batchB, batch, new Shape(output.ToArray()));
    }

    /// <summary>
    /// A's zero point or scale (input <paramref name="index"/>) as a shape broadcasting over A's matrix shape:
    /// scalar (per tensor) or one value per row. Throws if it is neither.
    /// </summary>
    public Shape RowParameter(InferenceContext context, int index, string name, Shape a)
    {
        var p = context.InputShape(index);
        if (QuantizedValues.IsPerTensor(p)) return Shape.Scalar;
        if (a.Rank >= 2)
        {
            if (p.Rank == 1 && p[0] == M) return new Shape(M, 1);
            if (p.Rank == a.Rank && p[^1] == 1 && p[^2] == M && LeadingDimsBroadcast(p, a)) return p;
        }
        throw context.Error($"{name} (input {index}) has shape {p}; for A of shape {a} expected a scalar (per tensor)" +
                            (a.Rank >= 2 ? $", [{M}] or [{string.Join(",", a.Take(a.Rank - 2).Append(M).Append(1))}] (per row)" : ""));
    }

    /// <summary>As <see cref="RowParameter"/> for B: scalar (per tensor) or one value per column.</summary>
    public Shape ColumnParameter(InferenceContext context, int index, string name, Shape b)
    {
        var p = context.InputShape(index);
        if (QuantizedValues.IsPerTensor(p)) return Shape.Scalar;
        if (b.Rank >= 2)
        {
            if (p.Rank == 1 && p[0] == N) return p;
            if (p.Rank == b.Rank && p[^2] == 1 && p[^1] == N && LeadingDimsBroadcast(p, b)) return p;
        }
        throw context.Error($"{name} (input {index}) has shape {p}; for B of shape {b} expected a scalar (per tensor)" +
                            (b.Rank >= 2 ? $", [{N}] or [{string.Join(",", b.Take(b.Rank - 2).Append(1).Append(N))}] (per column)" : ""));
    }

    /// <summary>The same normalization as <see cref="RowParameter"/> at execution time (shapes already validated).</summary>
    public static Shape RowParameter(Shape p) => QuantizedValues.IsPerTensor(p) ? Shape.Scalar : p.Rank == 1 ? new Shape(p[0], 1) : p;

    /// <summary>The same normalization as <see cref="ColumnParameter"/> at execution time.</summary>
    public static Shape ColumnParameter(Shape p) => QuantizedValues.IsPerTensor(p) ? Shape.Scalar : p;

    private static bool LeadingDimsBroadcast(Shape parameter, Shape operand)
    {
        for (int d = 0; d < operand.Rank - 2; d++)
            if (parameter[d] != 1 && parameter[d] != operand[d]) return false;
        return true;
    }

    /// <summary>
    /// An 8-bit operand minus its zero point, as int32 in the operand's matrix shape. <paramref name="zeroPointShape"/>
    /// is the zero point's normalized shape (see <see cref="RowParameter(Shape)"/>).
    /// </summary>
    public static int[] Shift(Tensor operand, Shape matrixShape, Tensor? zeroPoint, Shape zeroPointShape)
    {
        var values = QuantizedValues.Widen(operand);
        if (zeroPoint is null) return values;
        var zeroPoints = QuantizedValues.Widen(zeroPoint);
        if (zeroPoints.Length == 1)
        {
            for (int i = 0; i < values.Length; i++) values[i] -= zeroPoints[0];
        }
        else
        {
            var source = Broadcasting.SourceIndices(zeroPointShape, matrixShape);
            for (int i = 0; i < values.Length; i++) values[i] -= zeroPoints[source[i]];
        }
        return values;
    }

    /// <summary>The int32 product of shifted operands, in <see cref="FullOutput"/> layout (same data as <see cref="Output"/>), wrapping on overflow.</summary>
    public int[] Multiply(int[] a, int[] b) => Multiply<int>(a, b);

    /// <summary>
    /// As <see cref="Multiply(int[], int[])"/> with int64 accumulation, exact (no wrapping) for the int16 operands of the
    /// integer-only transformer plan: each product is below 2^31 in magnitude and the caller bounds the sum.
    /// </summary>
    public long[] MultiplyWide(int[] a, int[] b) => Multiply<long>(a, b);

    private TSum[] Multiply<TSum>(int[] a, int[] b) where TSum : unmanaged, IBinaryInteger<TSum>
    {
        var batchOfA = Broadcasting.SourceIndices(BatchA, Batch);
        var batchOfB = Broadcasting.SourceIndices(BatchB, Batch);
        var y = new TSum[(long)batchOfA.Length * M * N];
        for (int batch = 0; batch < batchOfA.Length; batch++)
        {
            var aMatrix = new ReadOnlySpan<int>(a, batchOfA[batch] * M * K, M * K);
            var bMatrix = new ReadOnlySpan<int>(b, batchOfB[batch] * K * N, K * N);
            var yMatrix = y.AsSpan(batch * M * N, M * N);
            // i-k-j order: the inner loop runs along contiguous rows of B and Y.
            for (int i = 0; i < M; i++)
            {
                var yRow = yMatrix.Slice(i * N, N);
                for (int p = 0; p < K; p++)
                {
                    var scale = TSum.CreateTruncating(aMatrix[i * K + p]);
                    if (TSum.IsZero(scale)) continue;
                    var bRow = bMatrix.Slice(p * N, N);
                    // Generic arithmetic is unchecked: int32 sums wrap as ONNX Runtime's integer GEMMs do; int64 ones cannot.
                    for (int j = 0; j < N; j++) yRow[j] += scale * TSum.CreateTruncating(bRow[j]);
                }
            }
        }
        return y;
    }
}
