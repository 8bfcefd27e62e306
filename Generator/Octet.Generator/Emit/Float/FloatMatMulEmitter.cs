using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 MatMul (numpy.matmul semantics). Two forms:
    /// <list type="bullet">
    /// <item>B constant and NK-packed (logical [K, N] stored [N][K]): every row of A (all batch axes flattened) is
    /// dotted with every row of B (<c>FloatGemm.MultiplyNK</c>, in register blocks; summation order differs from the reference, see the
    /// tolerance on <c>FloatDot</c>).</item>
    /// <item>A and B rowmajor (activations, or an unpacked constant), batch axes broadcast: for each batch the
    /// kernel adds A[i,p]·(row p of B) to output row i for p = 0, 1, …, the reference's own order, so the
    /// result is bit-identical. Batch offsets come from constant strides (<see cref="StridedLoops"/>).</item>
    /// </list>
    /// A 1-D A is a row vector [1, K] and a 1-D B a column vector [K, 1], their added axis absent from the output.
    /// </summary>
    public sealed class FloatMatMulEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "MatMul" };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 2, 1)) return;
            PlanTensor a = context.Input(0), b = context.Input(1), y = context.Output(0);
            string op = $"MatMul '{context.Op.Name}'";
            if (!FloatEmit.ExpectFloat(context, a, b, y)) return;
            if (a.Layout != "rowmajor" || y.Layout != "rowmajor" || a.Shape.Count == 0 || b.Shape.Count == 0)
            {
                context.Unsupported($"{op}: A '{a.Name}' ({a.Layout} [{string.Join(",", a.Shape)}]) and the output ({y.Layout}) must be rowmajor tensors of rank 1 or more");
                return;
            }
            var aShape = a.Shape.ToArray();
            var bShape = b.Shape.ToArray();
            int m = aShape.Length == 1 ? 1 : aShape[aShape.Length - 2], k = aShape[aShape.Length - 1];
            int kb = bShape.Length == 1 ? bShape[0] : bShape[bShape.Length - 2], n = bShape.Length == 1 ? 1 : bShape[bShape.Length - 1];
            if (k != kb)
            {
                context.Unsupported($"{op}: A [{string.Join(",", aShape)}] has {k} columns but B [{string.Join(",", bShape)}] has {kb} rows");
                return;
            }

            var code = context.Code;
            code.Line($"// {FloatEmit.Describe(y)} = {FloatEmit.Describe(a)} × {FloatEmit.Describe(b)}");
            if (b.Layout == "NK")
            {
                if (bShape.Length != 2 || OpEmitContext.ElementCount(y) != OpEmitContext.ElementCount(a) / k * n)
                {
                    context.Unsupported($"{op}: NK-packed B '{b.Name}' must be a [K, N] matrix and the output hold A's rows times N (B [{string.Join(",", bShape)}], output [{string.Join(",", y.Shape)}])");
                    return;
                }
                long rows = OpEmitContext.ElementCount(a) / k;
                code.Line("// B holds one row of K weights per output column: each output is one dot product; A's batch axes are just more rows.");
                code.Line($"ReadOnlySpan<float> a = {context.Span(a)};");
                code.Line($"ReadOnlySpan<float> b = {context.Span(b)};");
                code.Line($"Span<float> y = {context.Span(y)};");
                code.Line($"{FloatEmit.Runtime}FloatGemm.MultiplyNK(a, {k}, {rows}, b, {k}, {n}, y, {n}, accumulate: false);");
                return;
            }
            if (b.Layout != "rowmajor")
            {
                context.Unsupported($"{op}: B '{b.Name}' has layout {b.Layout}; the float32 kernel reads NK-packed or rowmajor B");
                return;
            }

            // Batch axes: A's and B's leading axes broadcast against each other.
            var batchA = aShape.Length <= 2 ? new int[0] : aShape.Take(aShape.Length - 2).ToArray();
            var batchB = bShape.Length <= 2 ? new int[0] : bShape.Take(bShape.Length - 2).ToArray();
            int rank = System.Math.Max(batchA.Length, batchB.Length);
            var batch = new int[rank];
            var strideA = new long[rank];
            var strideB = new long[rank];
            var strideY = new long[rank];
            long matrixA = (long)m * k, matrixB = (long)k * n, matrixY = (long)m * n;
            for (int i = rank - 1; i >= 0; i--)
            {
                int da = i - (rank - batchA.Length) >= 0 ? batchA[i - (rank - batchA.Length)] : 1;
                int db = i - (rank - batchB.Length) >= 0 ? batchB[i - (rank - batchB.Length)] : 1;
                if (da != db && da != 1 && db != 1)
                {
                    context.Unsupported($"{op}: batch axes of A [{string.Join(",", aShape)}] and B [{string.Join(",", bShape)}] do not broadcast");
                    return;
                }
                batch[i] = System.Math.Max(da, db);
                strideA[i] = da == 1 ? 0 : matrixA;
                strideB[i] = db == 1 ? 0 : matrixB;
                strideY[i] = matrixY;
                matrixA *= da;
                matrixB *= db;
                matrixY *= batch[i];
            }
            if (matrixY != OpEmitContext.ElementCount(y))
            {
                context.Unsupported($"{op}: A [{string.Join(",", aShape)}] × B [{string.Join(",", bShape)}] gives {matrixY} elements, but the output [{string.Join(",", y.Shape)}] holds {OpEmitContext.ElementCount(y)}");
                return;
            }
            var loops = StridedLoops.Simplify(batch, new[] { strideY, strideA, strideB });
            code.Line($"ReadOnlySpan<float> a = {context.Span(a)};");
            code.Line($"ReadOnlySpan<float> b = {context.Span(b)};");
            code.Line($"Span<float> y = {context.Span(y)};");
            loops.Emit(code, new[] { "yAt", "aAt", "bAt" }, () =>
            {
                code.Line("// Output row i accumulates A[i,p] times row p of B for p = 0, 1, ... (the reference's order).");
                code.Open($"for (int i = 0; i < {m}; i++)");
                code.Line($"Span<float> row = y.Slice(yAt + i * {n}, {n});");
                code.Line("row.Clear();");
                code.Open($"for (int p = 0; p < {k}; p++)");
                code.Line($"{FloatEmit.Runtime}FloatElementwise.MultiplyAdd(b.Slice(bAt + p * {n}, {n}), a[aAt + i * {k} + p], row);");
                code.Close();
                code.Close();
            }, loopEveryAxis: true);
        }
    }
}
