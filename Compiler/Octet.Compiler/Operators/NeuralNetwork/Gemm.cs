using System.Runtime.CompilerServices;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX Gemm: <c>Y = alpha * A' * B' + beta * C</c>, where A' is A or its transpose (transA), B' is B or its
/// transpose (transB), A' is <c>M x K</c>, B' is <c>K x N</c>, and C broadcasts unidirectionally to <c>M x N</c>.
/// C is required before version 11 and optional from 11. Versions 1 and 6 have a <c>broadcast</c> flag
/// for C; broadcasting is accepted at every version (a superset of what those versions allow).
/// </summary>
public sealed class Gemm : OperatorDefinition
{
    public override string OpType => "Gemm";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 7, 9, 11, 13];

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32);
        context.ExpectType(1, ElementType.Float32);
        context.ExpectRank(0, 2);
        context.ExpectRank(1, 2);
        var (m, k, n) = Dimensions(context.Node, context.InputShape(0), context.InputShape(1), out int kB);
        if (k != kB)
            throw context.Error($"inner dimensions differ: A' is {m}x{k} and B' is {kB}x{n} " +
                                $"(A {context.InputShape(0)}, B {context.InputShape(1)}, transA={TransA(context.Node)}, transB={TransB(context.Node)})");

        // Before version 11, C is required.
        if (context.Node.OpsetVersion < 11 || context.HasInput(2))
        {
            context.ExpectType(2, ElementType.Float32);
            var c = context.InputShape(2);
            if (!BroadcastsTo(c, m, n))
                throw context.Error($"C has shape {c}, which does not broadcast to the result [{m},{n}]");
        }
        context.SetOutput(0, ElementType.Float32, new Shape(m, n));
    }

    private static bool TransA(Node node) => node.GetInt("transA", 0) != 0;
    private static bool TransB(Node node) => node.GetInt("transB", 0) != 0;

    private static (int M, int K, int N) Dimensions(Node node, Shape a, Shape b, out int kB)
    {
        bool transA = TransA(node), transB = TransB(node);
        int m = transA ? a[1] : a[0], k = transA ? a[0] : a[1];
        kB = transB ? b[1] : b[0];
        int n = transB ? b[0] : b[1];
        return (m, k, n);
    }

    /// <summary>Unidirectional broadcast of C to M x N: rank at most 2, each right-aligned dim equal or 1.</summary>
    private static bool BroadcastsTo(Shape c, int m, int n) => c.Rank switch
    {
        0 => true,
        1 => c[0] == n || c[0] == 1,
        2 => (c[0] == m || c[0] == 1) && (c[1] == n || c[1] == 1),
        _ => false,
    };

    public override void Execute(KernelContext context)
    {
        var aTensor = context.Input(0);
        var bTensor = context.Input(1);
        var a = aTensor.As<float>();
        var b = bTensor.As<float>();
        bool transA = TransA(context.Node), transB = TransB(context.Node);
        float alpha = context.Node.GetFloat("alpha", 1f), beta = context.Node.GetFloat("beta", 1f);
        var (m, k, n) = Dimensions(context.Node, aTensor.Shape, bTensor.Shape, out _);

        var y = Multiply(a, b, m, k, n, transA, transB, alpha);
        if (context.OptionalInput(2) is { } cTensor && beta != 0f)
        {
            var c = cTensor.As<float>();
            var cShape = cTensor.Shape;
            // Strides of C over the M x N result: 0 along a broadcast (size 1 or missing) dimension.
            int rowStride = cShape.Rank == 2 && cShape[0] != 1 ? cShape[1] : 0;
            int colStride = cShape.Rank >= 1 && cShape[^1] != 1 ? 1 : 0;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    y[i * n + j] += beta * c[i * rowStride + j * colStride];
        }
        context.SetOutput(0, Tensor.Create(new Shape(m, n), y));
    }

    /// <summary><c>alpha * A' * B'</c> as an M x N row-major array. Fully optimized from the first call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] Multiply(float[] a, float[] b, int m, int k, int n, bool transA, bool transB, float alpha)
    {
        var y = new float[(long)m * n];
        var aRow = new float[k];
        for (int i = 0; i < m; i++)
        {
            // Row i of A' (a copy when A is transposed, so the inner loops read contiguous memory).
            if (transA)
                for (int p = 0; p < k; p++) aRow[p] = a[p * m + i];
            else
                a.AsSpan(i * k, k).CopyTo(aRow);

            var yRow = y.AsSpan(i * n, n);
            if (transB)
            {
                // Column j of B' is row j of B: each output is a dot product of two contiguous rows.
                for (int j = 0; j < n; j++)
                {
                    var bRow = new ReadOnlySpan<float>(b, j * k, k);
                    float sum = 0;
                    for (int p = 0; p < k; p++) sum += aRow[p] * bRow[p];
                    yRow[j] = sum;
                }
            }
            else
            {
                // i-k-j order: add aRow[p] x (row p of B) to the output row.
                for (int p = 0; p < k; p++)
                {
                    float scale = aRow[p];
                    var bRow = new ReadOnlySpan<float>(b, p * n, n);
                    for (int j = 0; j < n; j++) yRow[j] += scale * bRow[j];
                }
            }
            if (alpha != 1f)
                for (int j = 0; j < n; j++) yRow[j] *= alpha;
        }
        return y;
    }
}
