using System;
using System.Collections.Generic;
using System.Linq;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// <c>octet.QMatMul</c>: numpy.matmul of two 8-bit operands with per-tensor zero points and requantization,
    /// <c>acc = Σ_k (A[.., i, k] − a_zp)(B[.., k, j] − b_zp)</c> in int32, batch axes broadcast, a 1-D A a row and a
    /// 1-D B a column. B is an activation (rowmajor) or a constant packed NK (each [K, N] matrix stored [N][K]); then
    /// acc = Σ a·b − b_zp·Σ a − a_zp·Σ b + K·a_zp·b_zp: one int8 B matrix shared by every batch goes through the blocked
    /// <c>Int8Gemm</c> kernel (<see cref="QMatrixGemm"/>), other packed B give one SIMD dot product per output.
    /// </summary>
    public sealed class QMatMulEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.QMatMul" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 2) throw new EmitException("expected inputs A and B");
            var a = context.Input(0);
            var b = context.Input(1);
            var y = context.Output(0);
            Int8Code.ExpectQuantized(a, "input A");
            Int8Code.ExpectEightBit(b, "input B");
            Int8Code.ExpectQuantized(y, "output Y");
            Int8Code.ExpectLayout(a, "input A", "rowmajor");
            Int8Code.ExpectLayout(b, "input B", "rowmajor", "NK");
            Int8Code.ExpectLayout(y, "output Y", "rowmajor");
            if (a.Shape.Count == 0 || b.Shape.Count == 0) throw new EmitException("operands must have rank 1 or more");
            var matrixA = a.Shape.Count == 1 ? new[] { 1, a.Shape[0] } : a.Shape.ToArray();
            var matrixB = b.Shape.Count == 1 ? new[] { b.Shape[0], 1 } : b.Shape.ToArray();
            int m = matrixA[matrixA.Length - 2], depth = matrixA[matrixA.Length - 1];
            int n = matrixB[matrixB.Length - 1];
            if (matrixB[matrixB.Length - 2] != depth) throw new EmitException($"inner dimensions of A {Int8Code.Describe(a)} and B {Int8Code.Describe(b)} differ");
            var batchA = matrixA.Take(matrixA.Length - 2).ToArray();
            var batchB = matrixB.Take(matrixB.Length - 2).ToArray();
            var batch = Broadcast(batchA, batchB) ?? throw new EmitException("batch dimensions of A and B cannot be broadcast together");
            var output = batch.ToList();
            if (a.Shape.Count > 1) output.Add(m);
            if (b.Shape.Count > 1) output.Add(n);
            Int8Code.ExpectShape(y, "output Y", output);
            Int8Code.Count(a);
            Int8Code.Count(b);
            Int8Code.Count(y);
            int aZeroPoint = Int8Code.ZeroPoint(context, "a_zero_point", a.ElementType);
            int bZeroPoint = Int8Code.ZeroPoint(context, "b_zero_point", b.ElementType);
            var requantization = Int8Requantization.Read(context, 1, y);
            bool packed = b.Layout == "NK";
            if (a.ElementType == "int16")
            {
                WideActivationGemm.Check(a, b, requantization);
                if (b.Shape.Count != 2 || a.Shape.Count < 2)
                    throw new EmitException($"an int16 A {Int8Code.Describe(a)} needs one constant [K, N] matrix B and an A of rank 2 or more; B is {Int8Code.Describe(b)}");
                int wideRows = (int)Int8Code.Product(a.Shape.Take(a.Shape.Count - 1));
                return code =>
                {
                    code.Open("unchecked");
                    code.Line($"// QMatMul: A {Int8Code.Describe(a)} (a_zero_point {aZeroPoint}) x B {Int8Code.Describe(b)} (b_zero_point {bZeroPoint}) " +
                              $"-> Y {Int8Code.Describe(y)}; {requantization.Describe()}. One B for every batch: {wideRows} rows of A.");
                    WideActivationGemm.Write(code, context, a, b, null, y, wideRows, depth, n, aZeroPoint, new[] { bZeroPoint }, requantization);
                    code.Close();
                };
            }

            var aIndex = SourceMatrices(batchA, batch);
            var bIndex = SourceMatrices(batchB, batch);
            int batches = aIndex.Length;

            // One constant int8 B matrix for every batch (no batch axes, or all 1): the A matrices are consecutive, so the
            // whole op is one matrix product of batches·M rows, through the blocked Int8Gemm kernel.
            int constant = unchecked(depth * aZeroPoint * bZeroPoint);
            var blocking = packed && bIndex.All(i => i == 0) ? QMatrixGemm.Blocked(batches * m, depth, n, b.ElementType, aZeroPoint != 0) : null;
            var gemm = blocking == null ? null : new QMatrixGemm
            {
                Rows = batches * m, Depth = depth, Columns = n, ActivationType = a.ElementType, Requantization = requantization,
                ColumnTerm = aZeroPoint != 0
                    ? column => Int8Code.MinusProduct(constant != 0 ? Int8Code.Int(constant) : null, aZeroPoint, $"{Int8Code.Runtime}Int8Dot.Sum(w.Slice({column} * {depth}, {depth}))")
                    : null,
                WeightZeroPoint = bZeroPoint != 0 ? _ => Int8Code.Int(bZeroPoint) : null,
                Blocking = blocking,
                Context = context,
                Weights = context.Span(b),
            };
            if (gemm == null && (long)n * 4 > QConvEmitter.MaxStackBytes) throw new EmitException($"{n} columns need a larger stack buffer than this kernel uses");
            bool split = gemm != null && context.CanSplit && gemm.Macs >= QConvEmitter.ParallelMacs;

            return code =>
            {
                var units = split ? gemm!.Units() : null;
                if (units != null)
                {
                    code.Line($"// {gemm!.Macs} multiply-accumulates: split into units (panels of B columns × groups of A rows) that");
                    code.Line("// the model's worker team may share; each unit writes its own outputs, so results do not depend on the threads.");
                    code = context.SplitIntoUnits(units.Count);
                }
                code.Open("unchecked");
                code.Line($"// QMatMul: A {Int8Code.Describe(a)} (a_zero_point {aZeroPoint}) x B {Int8Code.Describe(b)} (b_zero_point {bZeroPoint}) " +
                          $"-> Y {Int8Code.Describe(y)}; {requantization.Describe()}.");
                if (gemm != null)
                {
                    code.Line("// acc = Σ a·b − b_zp·Σ a − a_zp·Σ b + K·a_zp·b_zp is the reference's Σ (a − a_zp)(b − b_zp); the B-column terms are");
                    code.Line("// computed per packed panel, the A-row term (when b_zp ≠ 0) per row.");
                    code.Line($"var a = {context.Span(a)};");
                    code.Line($"var w = {context.Span(b)};");
                    code.Line($"var y = {context.Span(y)};");
                    gemm.Write(code, units);
                    code.Close();
                    return;
                }
                code.Line($"var a = {context.Span(a)};");
                code.Line($"var b = {context.Span(b)};");
                code.Line($"var y = {context.Span(y)};");
                string aMatrix = MatrixIndex(code, aIndex, "aMatrices", batchA);
                string bMatrix = MatrixIndex(code, bIndex, "bMatrices", batchB);
                if (packed)
                {
                    code.Line("// B is packed NK (each matrix stored [N][K]): each output is one SIMD dot product of an A row and a B row;");
                    code.Line("// acc = Σ a·b − b_zp·Σ a − a_zp·Σ b + K·a_zp·b_zp is the reference's Σ (a − a_zp)(b − b_zp).");
                    if (aZeroPoint != 0) code.Line($"{Int8Code.Span}<int> columnSums = stackalloc int[{n}];");
                }
                else
                {
                    code.Line("// B is row-major: accumulate whole output rows, one shifted A value times one shifted B row at a time.");
                    code.Line($"{Int8Code.Span}<int> acc = stackalloc int[{n}];");
                }
                code.Open($"for (int batch = 0; batch < {batches}; batch++)");
                code.Line($"var aBlock = a.Slice({aMatrix} * {m * depth}, {m * depth});");
                code.Line($"var bBlock = b.Slice({bMatrix} * {depth * n}, {depth * n});");
                code.Line($"var yBlock = y.Slice(batch * {m * n}, {m * n});");
                if (packed)
                {
                    WriteNkProduct(code, "bBlock", m, n, depth, aZeroPoint, bZeroPoint, constant, requantization);
                }
                else
                {
                    code.Open($"for (int i = 0; i < {m}; i++)");
                    code.Line("acc.Clear();");
                    code.Open($"for (int k = 0; k < {depth}; k++)");
                    code.Line($"int value = aBlock[i * {depth} + k]{(aZeroPoint != 0 ? $" - {aZeroPoint}" : "")};");
                    code.Line($"var bRow = bBlock.Slice(k * {n}, {n});");
                    code.Line($"for (int j = 0; j < {n}; j++) acc[j] += value * {(bZeroPoint != 0 ? $"(bRow[j] - {bZeroPoint})" : "bRow[j]")};");
                    code.Close();
                    code.Line($"for (int j = 0; j < {n}; j++) yBlock[i * {n} + j] = {requantization.Expression("acc[j]", "0")};");
                    code.Close();
                }
                code.Close();
                code.Close();
            };
        }

        /// <summary>How the loop's batch index picks an operand's matrix: itself, always 0, or a constant table (broadcasting).</summary>
        private static string MatrixIndex(CodeWriter code, int[] indices, string name, int[] operandBatch)
        {
            if (indices.Select((v, i) => v == i).All(same => same)) return "batch";
            if (indices.All(v => v == 0)) return "0";
            code.Line($"// Batch axes broadcast: which matrix of this operand each output batch reads.");
            Int8Code.ConstantArray(code, "int", name, indices);
            return $"{name}[batch]";
        }

        internal static int[]? Broadcast(int[] first, int[] second)
        {
            int rank = Math.Max(first.Length, second.Length);
            var result = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                int p = i - (rank - first.Length), q = i - (rank - second.Length);
                int x = p < 0 ? 1 : first[p], z = q < 0 ? 1 : second[q];
                if (x != z && x != 1 && z != 1) return null;
                result[i] = x == 1 ? z : x;
            }
            return result;
        }

        /// <summary>
        /// Writes yBlock = requantize(aBlock · Bᵀ) for one batch, where <paramref name="columns"/> names B stored [N][K] (one row
        /// per output column) and <c>columnSums</c> is a stack buffer of N ints when a_zero_point ≠ 0: one SIMD dot product
        /// per output, with the zero-point terms Σ a·b − b_zp·Σ a − a_zp·Σ b + K·a_zp·b_zp (<paramref name="constant"/>).
        /// </summary>
        internal static void WriteNkProduct(CodeWriter code, string columns, int m, int n, int depth, int aZeroPoint, int bZeroPoint, int constant,
            Int8Requantization requantization)
        {
            if (aZeroPoint != 0)
                code.Line($"for (int j = 0; j < {n}; j++) columnSums[j] = {Int8Code.Runtime}Int8Dot.Sum({columns}.Slice(j * {depth}, {depth}));");
            code.Open($"for (int i = 0; i < {m}; i++)");
            code.Line($"var row = aBlock.Slice(i * {depth}, {depth});");
            if (bZeroPoint != 0) code.Line($"int rowTerm = {constant} - {bZeroPoint} * {Int8Code.Runtime}Int8Dot.Sum(row);");
            code.Open($"for (int j = 0; j < {n}; j++)");
            string acc = $"{Int8Code.Runtime}Int8Dot.Dot(row, {columns}.Slice(j * {depth}, {depth}))";
            if (bZeroPoint != 0) acc += " + rowTerm";
            if (aZeroPoint != 0) acc += $" - {aZeroPoint} * columnSums[j]";
            code.Line($"int sum = {acc};");
            code.Line($"yBlock[i * {n} + j] = {requantization.Expression("sum", "0")};");
            code.Close();
            code.Close();
        }

        /// <summary>For each output batch (row-major over <paramref name="batch"/>), the index of the operand's matrix it reads.</summary>
        internal static int[] SourceMatrices(int[] operand, int[] batch)
        {
            int count = (int)Int8Code.Product(batch);
            var result = new int[count];
            var index = new int[batch.Length];
            for (int flat = 0; flat < count; flat++)
            {
                int source = 0;
                for (int axis = 0; axis < batch.Length; axis++)
                {
                    int k = axis - (batch.Length - operand.Length);
                    if (k < 0) continue;
                    source = source * operand[k] + (operand[k] == 1 ? 0 : index[axis]);
                }
                result[flat] = source;
                for (int axis = batch.Length - 1; axis >= 0; axis--)
                {
                    if (++index[axis] < batch[axis]) break;
                    index[axis] = 0;
                }
            }
            return result;
        }
    }
}
