using System.Collections.Generic;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 Gemm: <c>Y = alpha·A·B + beta·C</c> with A rowmajor [M, K], B either NK-packed (the compiler has
    /// folded transB into the packing: logical [K, N] stored [N][K]) or a rowmajor tensor ([K, N], or [N, K] with
    /// transB=1), and C broadcast unidirectionally to [M, N].
    /// </summary>
    /// <remarks>
    /// With B stored one row per output column each output is a dot product, computed in register blocks by
    /// <c>FloatGemm.MultiplyNK</c>: a
    /// different summation order from the reference, so the tolerance stated on <c>FloatDot</c> applies. With a
    /// rowmajor [K, N] B the kernel adds A[i,p]·(row p of B) to the output row for p = 0, 1, …, exactly the
    /// reference's order, so that case is bit-identical. The epilogue then rounds like the reference: the
    /// product times alpha, then plus beta·C.
    /// </remarks>
    public sealed class FloatGemmEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Gemm" };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 2, 1)) return;
            PlanTensor a = context.Input(0), b = context.Input(1), y = context.Output(0);
            PlanTensor? c = context.HasInput(2) ? context.Input(2) : null;
            string op = $"Gemm '{context.Op.Name}'";
            if (!FloatEmit.ExpectFloat(context, a, b, y) || (c != null && !FloatEmit.ExpectFloat(context, c))) return;
            if (!FloatEmit.Expect(context, a, 2, "rowmajor", "A") || !FloatEmit.Expect(context, y, 2, "rowmajor", "output")) return;
            if (context.Int("transA", 0) != 0)
            {
                context.Unsupported($"{op}: transA=1; the float32 kernel reads A as rowmajor [M, K] (the compiler transposes A beforehand)");
                return;
            }
            bool transB = context.Int("transB", 0) != 0;
            bool packed = b.Layout == "NK";
            if (packed && transB)
            {
                context.Unsupported($"{op}: B '{b.Name}' is NK-packed and transB=1; the packing already resolves transB, so the plan is inconsistent");
                return;
            }
            if (b.Shape.Count != 2 || !(packed || b.Layout == "rowmajor"))
            {
                context.Unsupported($"{op}: B '{b.Name}' is {b.Layout} [{string.Join(",", b.Shape)}]; the float32 kernel needs a rank-2 NK or rowmajor matrix");
                return;
            }
            int m = a.Shape[0], k = a.Shape[1];
            // NK's shape is the logical [K, N]; a rowmajor B with transB=1 is [N, K].
            int kb = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
            if (kb != k || y.Shape[0] != m || y.Shape[1] != n)
            {
                context.Unsupported($"{op}: A [{m},{k}] times B [{string.Join(",", b.Shape)}] ({b.Layout}, transB={(transB ? 1 : 0)}) does not give the output [{string.Join(",", y.Shape)}]");
                return;
            }
            float alpha = context.Float("alpha", 1f), beta = context.Float("beta", 1f);
            long rowStride = 0, columnStride = 0;
            if (c != null)
            {
                if (c.Layout != "rowmajor" || !BroadcastsTo(c.Shape, m, n))
                {
                    context.Unsupported($"{op}: C '{c.Name}' ({c.Layout} [{string.Join(",", c.Shape)}]) does not broadcast to [{m},{n}]");
                    return;
                }
                // Strides of C over the M x N result: 0 along a broadcast (size 1 or missing) dimension.
                rowStride = c.Shape.Count == 2 && c.Shape[0] != 1 ? c.Shape[1] : 0;
                columnStride = c.Shape.Count >= 1 && c.Shape[c.Shape.Count - 1] != 1 ? 1 : 0;
            }

            var code = context.Code;
            code.Line($"// {FloatEmit.Describe(y)} = {Literals.Float(alpha)} · {FloatEmit.Describe(a)} × {FloatEmit.Describe(b)}{(transB ? " (transB)" : "")}" +
                      (c != null ? $" + {Literals.Float(beta)} · {FloatEmit.Describe(c)}" : ""));
            code.Line($"ReadOnlySpan<float> a = {context.Span(a)};");
            code.Line($"ReadOnlySpan<float> b = {context.Span(b)};");
            bool addC = c != null && beta != 0f;
            if (addC) code.Line($"ReadOnlySpan<float> c = {context.Span(c!)};");
            code.Line($"Span<float> y = {context.Span(y)};");
            if (packed || transB)
            {
                code.Line("// B holds one row of K weights per output column: the whole product in register blocks of rows × columns.");
                code.Line($"{FloatEmit.Runtime}FloatGemm.MultiplyNK(a, {k}, {m}, b, {k}, {n}, y, {n}, accumulate: false);");
                if (alpha == 1f && !addC) return;
            }
            code.Open($"for (int i = 0; i < {m}; i++)");
            code.Line($"Span<float> row = y.Slice(i * {n}, {n});");
            if (!(packed || transB))
            {
                code.Line("// B is [K][N]: add A[i,p] times row p of B, in the reference's order.");
                code.Line("row.Clear();");
                code.Open($"for (int p = 0; p < {k}; p++)");
                code.Line($"{FloatEmit.Runtime}FloatElementwise.MultiplyAdd(b.Slice(p * {n}, {n}), a[i * {k} + p], row);");
                code.Close();
            }
            if (alpha != 1f) code.Line($"{FloatEmit.Runtime}FloatElementwise.Multiply(row, {Literals.Float(alpha)}, row);");
            if (addC) EmitAddC(code, beta, rowStride, columnStride, n);
            code.Close();
        }

        /// <summary><c>row[j] += beta · C[i·rowStride + j·columnStride]</c>; beta = 1 adds C as is (1·c is exact).</summary>
        private static void EmitAddC(CodeWriter code, float beta, long rowStride, long columnStride, int n)
        {
            string rowStart = rowStride == 0 ? "0" : $"i * {rowStride}";
            if (beta == 1f)
            {
                code.Line(columnStride == 1
                    ? $"{FloatEmit.Runtime}FloatElementwise.Add(row, c.Slice({rowStart}, {n}), row);"
                    : $"{FloatEmit.Runtime}FloatElementwise.Add(row, c[{rowStart}], row);");
                return;
            }
            code.Open($"for (int j = 0; j < {n}; j++)");
            code.Line(columnStride == 1
                ? $"row[j] += {Literals.Float(beta)} * c[{(rowStride == 0 ? "j" : rowStart + " + j")}];"
                : $"row[j] += {Literals.Float(beta)} * c[{rowStart}];");
            code.Close();
        }

        private static bool BroadcastsTo(EquatableArray<int> c, int m, int n)
        {
            switch (c.Count)
            {
                case 0: return true;
                case 1: return c[0] == n || c[0] == 1;
                case 2: return (c[0] == m || c[0] == 1) && (c[1] == n || c[1] == 1);
                default: return false;
            }
        }
    }
}
