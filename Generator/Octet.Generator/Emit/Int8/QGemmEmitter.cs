using System;
using System.Collections.Generic;
using System.Linq;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// <c>octet.QGemm</c>: Y[r, n] = requantize(B'[n] + Σ_k A[r, k] · (W[k, n] − w_zp[n])) with A 8-bit rowmajor
    /// <c>[..., K]</c>, W 8-bit <c>[K, N]</c> either packed NK (constant weights: one contiguous row per output column)
    /// or rowmajor, B int32 <c>[N]</c>. Packed int8 weights go through the blocked <c>Int8Gemm</c> kernel
    /// (<see cref="QMatrixGemm"/>, split into units for a worker team when large); other packed weights give one SIMD
    /// dot product per output. B' = B − a_zp · Σ_k (W[k, n] − w_zp[n])
    /// is the folded bias (see the compiler's <c>FoldedBias</c>); equal, in wrapping int32, to the reference's literal
    /// <c>B + Σ (A − a_zp)(W − w_zp)</c>.
    /// </summary>
    public sealed class QGemmEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.QGemm" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (context.Op.Inputs.Count < 2 || context.Op.Inputs.Count > 3) throw new EmitException("expected inputs A, W and an optional B");
            var a = context.Input(0);
            var w = context.Input(1);
            var b = context.HasInput(2) ? context.Input(2) : null;
            var y = context.Output(0);
            Int8Code.ExpectQuantized(a, "input A");
            Int8Code.ExpectEightBit(w, "weights W");
            Int8Code.ExpectQuantized(y, "output Y");
            Int8Code.ExpectLayout(a, "input A", "rowmajor");
            Int8Code.ExpectLayout(w, "weights W", "NK", "rowmajor");
            Int8Code.ExpectLayout(y, "output Y", "rowmajor");
            if (a.Shape.Count < 1 || w.Shape.Count != 2 || a.Shape[a.Shape.Count - 1] != w.Shape[0])
                throw new EmitException($"A {Int8Code.Describe(a)} and W {Int8Code.Describe(w)} are not [..., K] and [K, N]");
            int depth = w.Shape[0], columns = w.Shape[1];
            int rows = (int)Int8Code.Product(a.Shape.Take(a.Shape.Count - 1));
            Int8Code.ExpectShape(y, "output Y", a.Shape.Take(a.Shape.Count - 1).Concat(new[] { columns }).ToArray());
            if (b != null && (b.ElementType != "int32" || b.Shape.Count != 1 || b.Shape[0] != columns))
                throw new EmitException($"bias B is {Int8Code.Describe(b)}; expected [{columns}] int32");
            Int8Code.Count(a);
            Int8Code.Count(w);
            Int8Code.Count(y);
            int aZeroPoint = Int8Code.ZeroPoint(context, "a_zero_point", a.ElementType);
            var wZeroPoints = Int8Code.ZeroPoints(context, "w_zero_point", w.ElementType, columns);
            var requantization = Int8Requantization.Read(context, columns, y);
            bool folded = context.Int("bias_folds_x_zero_point", 0) != 0;
            if (a.ElementType == "int16")
            {
                WideActivationGemm.Check(a, w, requantization);
                return code =>
                {
                    code.Open("unchecked");
                    code.Line($"// QGemm: A {Int8Code.Describe(a)} (a_zero_point {aZeroPoint}) x W {Int8Code.Describe(w)} " +
                              $"(w_zero_point {(wZeroPoints.Distinct().Count() > 1 ? "per column" : Int8Code.Int(wZeroPoints[0]))})" +
                              (b != null ? $" + B [{columns}]" : "") + $" -> Y {Int8Code.Describe(y)}; {requantization.Describe()}.");
                    // A folded bias already holds −a_zp·Σ (w − w_zp): the kernel then must not subtract a_zp again.
                    if (folded && aZeroPoint != 0) code.Line("// The plan's bias folds a_zero_point in (B' = B − a_zp·Σ (w − w_zp)): the kernel sees a_zp = 0.");
                    WideActivationGemm.Write(code, context, a, w, b, y, rows, depth, columns, folded ? 0 : aZeroPoint, wZeroPoints, requantization);
                    code.Close();
                };
            }
            bool runtimeFold = !folded && aZeroPoint != 0;
            bool packed = w.Layout == "NK";
            bool hasWeightZeroPoints = wZeroPoints.Any(z => z != 0);
            bool perColumnZeroPoints = wZeroPoints.Distinct().Count() > 1;
            string WeightZeroPoint(string column) => perColumnZeroPoints ? $"weightZeroPoints[{column}]" : Int8Code.Int(wZeroPoints[0]);
            string Bias(string column) => runtimeFold ? $"foldedBias[{column}]" : b != null ? $"bias[{column}]" : "0";
            string WeightSum(string column) => $"{Int8Code.Runtime}Int8Dot.Sum(w.Slice({column} * {depth}, {depth}))" +
                                               (hasWeightZeroPoints ? $" - {depth} * {WeightZeroPoint(column)}" : "");

            // Constant int8 weights packed NK: the blocked Int8Gemm kernel, the bias fold (if any) computed per weight panel.
            var blocking = packed ? QMatrixGemm.Blocked(rows, depth, columns, w.ElementType, runtimeFold) : null;
            var gemm = blocking == null ? null : new QMatrixGemm
            {
                Rows = rows, Depth = depth, Columns = columns, ActivationType = a.ElementType, Requantization = requantization,
                BiasSpan = b != null ? "bias" : null,
                ColumnTerm = runtimeFold ? column => Int8Code.MinusProduct(b != null ? $"bias[{column}]" : null, aZeroPoint, WeightSum(column)) : null,
                WeightZeroPoint = hasWeightZeroPoints ? WeightZeroPoint : null,
                Blocking = blocking,
                Context = context,
                Weights = context.Span(w),
            };
            if (gemm == null && (runtimeFold || !packed) && (long)columns * 4 > QConvEmitter.MaxStackBytes)
                throw new EmitException($"{columns} columns need a larger stack buffer than this kernel uses");
            bool split = gemm != null && context.CanSplit && gemm.Macs >= QConvEmitter.ParallelMacs;

            return code =>
            {
                var units = split ? gemm!.Units() : null;
                if (units != null)
                {
                    code.Line($"// {gemm!.Macs} multiply-accumulates: split into units (panels of weight rows × groups of A rows) that");
                    code.Line("// the model's worker team may share; each unit writes its own outputs, so results do not depend on the threads.");
                    code = context.SplitIntoUnits(units.Count);
                }
                code.Open("unchecked");
                code.Line($"// QGemm: A {Int8Code.Describe(a)} (a_zero_point {aZeroPoint}) x W {Int8Code.Describe(w)} " +
                          $"(w_zero_point {(perColumnZeroPoints ? "per column" : Int8Code.Int(wZeroPoints[0]))})" +
                          (b != null ? $" + B [{columns}]" : "") + $" -> Y {Int8Code.Describe(y)}; {requantization.Describe()}.");
                code.Line("// acc = B' + Σ_k a·w − w_zp·Σ_k a, B' = B − a_zp·Σ_k (w − w_zp): the reference's B + Σ (a − a_zp)(w − w_zp).");
                code.Line($"var a = {context.Span(a)};");
                code.Line($"var w = {context.Span(w)};");
                if (b != null) code.Line($"var bias = {context.Span(b)};");
                code.Line($"var y = {context.Span(y)};");
                requantization.DeclareConstants(code);
                if (perColumnZeroPoints) Int8Code.ConstantArray(code, "int", "weightZeroPoints", wZeroPoints);
                if (gemm != null)
                {
                    if (runtimeFold) code.Line("// The plan's bias does not fold a_zero_point in: fold it per panel, B' = B − a_zp·Σ_k (w − w_zp).");
                    gemm.Write(code, units);
                    code.Close();
                    return;
                }
                if (runtimeFold)
                {
                    code.Line("// The plan's bias does not fold a_zero_point in: fold it here, B' = B − a_zp·Σ_k (w − w_zp).");
                    code.Line($"{Int8Code.Span}<int> foldedBias = stackalloc int[{columns}];");
                    if (packed)
                    {
                        code.Open($"for (int n = 0; n < {columns}; n++)");
                        code.Line($"foldedBias[n] = {Int8Code.MinusProduct(b != null ? "bias[n]" : null, aZeroPoint, WeightSum("n"))};");
                        code.Close();
                    }
                    else
                    {
                        code.Line($"for (int k = 0; k < {depth}; k++) for (int n = 0; n < {columns}; n++) foldedBias[n] += w[k * {columns} + n];");
                        string sum = "foldedBias[n]" + (hasWeightZeroPoints ? $" - {depth} * {WeightZeroPoint("n")}" : "");
                        code.Line($"for (int n = 0; n < {columns}; n++) foldedBias[n] = {Int8Code.MinusProduct(b != null ? "bias[n]" : null, aZeroPoint, sum)};");
                    }
                }
                if (packed)
                {
                    code.Line("// W is packed NK: every output column's weights are one contiguous row, so each output is one SIMD dot product.");
                    code.Open($"for (int r = 0; r < {rows}; r++)");
                    code.Line($"var row = a.Slice(r * {depth}, {depth});");
                    if (hasWeightZeroPoints) code.Line($"int rowSum = {Int8Code.Runtime}Int8Dot.Sum(row);");
                    code.Open($"for (int n = 0; n < {columns}; n++)");
                    code.Line($"int acc = {Bias("n")} + {Int8Code.Runtime}Int8Dot.Dot(row, w.Slice(n * {depth}, {depth}))" +
                              (hasWeightZeroPoints ? $" - {WeightZeroPoint("n")} * rowSum;" : ";"));
                    code.Line($"y[r * {columns} + n] = {requantization.Expression("acc", "n")};");
                    code.Close();
                    code.Close();
                }
                else
                {
                    code.Line("// W is row-major [K, N]: accumulate whole output rows, one input value times one weight row at a time.");
                    code.Line($"{Int8Code.Span}<int> acc = stackalloc int[{columns}];");
                    code.Open($"for (int r = 0; r < {rows}; r++)");
                    if (runtimeFold) code.Line("foldedBias.CopyTo(acc);");
                    else if (b != null) code.Line("bias.CopyTo(acc);");
                    else code.Line("acc.Clear();");
                    code.Open($"for (int k = 0; k < {depth}; k++)");
                    code.Line($"int value = a[r * {depth} + k];");
                    code.Line($"var weights = w.Slice(k * {columns}, {columns});");
                    code.Line($"for (int n = 0; n < {columns}; n++) acc[n] += value * " +
                              (hasWeightZeroPoints ? $"(weights[n] - {WeightZeroPoint("n")});" : "weights[n];"));
                    code.Close();
                    code.Line($"for (int n = 0; n < {columns}; n++) y[r * {columns} + n] = {requantization.Expression("acc[n]", "n")};");
                    code.Close();
                }
                code.Close();
            };
        }
    }
}
