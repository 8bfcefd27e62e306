using System.Numerics;
using System.Runtime.CompilerServices;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX MatMul with numpy.matmul semantics: the last two axes are matrices, the leading (batch) axes
/// broadcast; a 1-D A is a row vector <c>[1, K]</c> and a 1-D B a column vector <c>[K, 1]</c>, and the
/// added axis is removed from the result. float32, int32 and int64.
/// </summary>
public sealed class MatMul : OperatorDefinition
{
    public override string OpType => "MatMul";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 9, 13];

    /// <summary>How two operand shapes combine: matrix sizes and the broadcast batch shape.</summary>
    private sealed record Plan(int M, int K, int N, Shape BatchA, Shape BatchB, Shape Batch, Shape Output);

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32, ElementType.Int32, ElementType.Int64);
        if (context.InputType(1) != context.InputType(0))
            throw context.Error($"A is {context.InputType(0).OnnxName()} but B is {context.InputType(1).OnnxName()}; they must match");
        var plan = MakePlan(context, context.InputShape(0), context.InputShape(1));
        context.SetOutput(0, context.InputType(0), plan.Output);
    }

    private static Plan MakePlan(InferenceContext? context, Shape a, Shape b)
    {
        if (a.Rank == 0 || b.Rank == 0)
            throw context!.Error($"operands must have rank 1 or more (A {a}, B {b}); MatMul does not take scalars");
        int m = a.Rank == 1 ? 1 : a[^2], k = a[^1];
        int kB = b.Rank == 1 ? b[0] : b[^2], n = b.Rank == 1 ? 1 : b[^1];
        if (k != kB)
            throw context!.Error($"inner dimensions differ: A {a} has {k} columns but B {b} has {kB} rows");

        var batchA = new Shape(a.Rank <= 2 ? [] : a.Take(a.Rank - 2).ToArray());
        var batchB = new Shape(b.Rank <= 2 ? [] : b.Take(b.Rank - 2).ToArray());
        var batch = Broadcasting.TryBroadcast(batchA, batchB)
            ?? throw context!.Error($"batch dimensions of A {a} and B {b} cannot be broadcast together");

        var output = new List<int>(batch);
        if (a.Rank > 1) output.Add(m);
        if (b.Rank > 1) output.Add(n);
        return new Plan(m, k, n, batchA, batchB, batch, new Shape(output.ToArray()));
    }

    public override void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        var plan = MakePlan(null, a.Shape, b.Shape);
        var result = a.ElementType switch
        {
            ElementType.Float32 => Tensor.Create(plan.Output, Multiply(plan, a.As<float>(), b.As<float>())),
            ElementType.Int32 => Tensor.Create(plan.Output, Multiply(plan, a.As<int>(), b.As<int>())),
            ElementType.Int64 => Tensor.Create(plan.Output, Multiply(plan, a.As<long>(), b.As<long>())),
            _ => throw context.Error($"element type {a.ElementType.OnnxName()} is not supported"),
        };
        context.SetOutput(0, result);
    }

    // Fully optimized from the first call: a model's first run should not spend its time in unoptimized loops.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T[] Multiply<T>(Plan plan, T[] a, T[] b) where T : unmanaged, INumber<T>
    {
        int m = plan.M, k = plan.K, n = plan.N;
        var batchOfA = Broadcasting.SourceIndices(plan.BatchA, plan.Batch);
        var batchOfB = Broadcasting.SourceIndices(plan.BatchB, plan.Batch);
        var y = new T[plan.Output.ElementCount];
        for (int batch = 0; batch < batchOfA.Length; batch++)
        {
            var aMatrix = new ReadOnlySpan<T>(a, batchOfA[batch] * m * k, m * k);
            var bMatrix = new ReadOnlySpan<T>(b, batchOfB[batch] * k * n, k * n);
            var yMatrix = y.AsSpan(batch * m * n, m * n);
            // i-k-j order: the inner loop runs along contiguous rows of B and Y.
            for (int i = 0; i < m; i++)
            {
                var yRow = yMatrix.Slice(i * n, n);
                for (int p = 0; p < k; p++)
                {
                    T scale = aMatrix[i * k + p];
                    var bRow = bMatrix.Slice(p * n, n);
                    for (int j = 0; j < n; j++) yRow[j] += scale * bRow[j];
                }
            }
        }
        return y;
    }
}
