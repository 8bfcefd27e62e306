using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Emit.Int8;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// <c>octet.QMatMul</c> of two activations — attention's Q·Kᵀ and A·V, B a row-major arena tensor — with
    /// the same integers as the int8 <see cref="QMatMulEmitter"/> (whose packed-weights case this hands every other
    /// QMatMul back to). Each B matrix is transposed once into a stack buffer, so every output is one SIMD dot product
    /// of two contiguous rows: acc = Σ a·b − b_zp·Σ a − a_zp·Σ b + K·a_zp·b_zp, the reference's Σ (a − a_zp)(b − b_zp)
    /// in int32, then the op's requantization.
    /// </summary>
    public sealed class QMatMulActivationsEmitter : Int8OpEmitter
    {
        /// <summary>The largest transposed B matrix kept on the stack; larger ones use the int8 emitter's row loop.</summary>
        internal const int MaxStackBytes = 64 * 1024;

        private readonly QMatMulEmitter _general = new QMatMulEmitter();

        public override IEnumerable<string> OpTypes => new[] { "octet.QMatMul" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (!Handles(context)) return _general.Analyze(context);
            var a = context.Input(0);
            var b = context.Input(1);
            var y = context.Output(0);
            int m = a.Shape[a.Shape.Count - 2], depth = a.Shape[a.Shape.Count - 1], n = b.Shape[b.Shape.Count - 1];
            if (b.Shape[b.Shape.Count - 2] != depth) throw new EmitException($"inner dimensions of A {Int8Code.Describe(a)} and B {Int8Code.Describe(b)} differ");
            var batchA = a.Shape.Take(a.Shape.Count - 2).ToArray();
            var batchB = b.Shape.Take(b.Shape.Count - 2).ToArray();
            var batch = QMatMulEmitter.Broadcast(batchA, batchB) ?? throw new EmitException("batch dimensions of A and B cannot be broadcast together");
            Int8Code.ExpectShape(y, "output Y", batch.Concat(new[] { m, n }).ToList());
            Int8Code.Count(a);
            Int8Code.Count(b);
            Int8Code.Count(y);
            int aZeroPoint = Int8Code.ZeroPoint(context, "a_zero_point", a.ElementType);
            int bZeroPoint = Int8Code.ZeroPoint(context, "b_zero_point", b.ElementType);
            Int8Code.ExpectEightBit(y, "output Y");
            var requantization = Int8Requantization.Read(context, 1, y);
            var aIndex = QMatMulEmitter.SourceMatrices(batchA, batch);
            var bIndex = QMatMulEmitter.SourceMatrices(batchB, batch);
            string bType = OpEmitContext.ClrType(b.ElementType);
            int constant = unchecked(depth * aZeroPoint * bZeroPoint);

            return code =>
            {
                code.Open("unchecked");
                code.Line($"// QMatMul of two activations: A {Int8Code.Describe(a)} (a_zero_point {aZeroPoint}) x B {Int8Code.Describe(b)} (b_zero_point {bZeroPoint}) " +
                          $"-> Y {Int8Code.Describe(y)}; {requantization.Describe()}.");
                code.Line("// Each B matrix is transposed once, so every output is one SIMD dot product of an A row and a B column;");
                code.Line("// acc = sum a*b - b_zp*sum a - a_zp*sum b + K*a_zp*b_zp is the reference's sum (a - a_zp)(b - b_zp).");
                code.Line($"var a = {context.Span(a)};");
                code.Line($"var b = {context.Span(b)};");
                code.Line($"var y = {context.Span(y)};");
                string aMatrix = MatrixIndex(code, aIndex, "aMatrices");
                string bMatrix = MatrixIndex(code, bIndex, "bMatrices");
                code.Line($"{Int8Code.Span}<{bType}> columns = stackalloc {bType}[{n * depth}];");
                if (aZeroPoint != 0) code.Line($"{Int8Code.Span}<int> columnSums = stackalloc int[{n}];");
                code.Open($"for (int batch = 0; batch < {aIndex.Length}; batch++)");
                code.Line($"var aBlock = a.Slice({aMatrix} * {m * depth}, {m * depth});");
                code.Line($"var yBlock = y.Slice(batch * {m * n}, {m * n});");
                code.Line($"{TransformerCode.Runtime}MatrixTranspose.Transpose<{bType}>(b.Slice({bMatrix} * {depth * n}, {depth * n}), {depth}, {n}, columns);");
                QMatMulEmitter.WriteNkProduct(code, "columns", m, n, depth, aZeroPoint, bZeroPoint, constant, requantization);
                code.Close();
                code.Close();
            };
        }

        /// <summary>Both operands rank ≥ 2 8-bit row-major arena tensors, B small enough to transpose on the stack.</summary>
        private static bool Handles(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 2 || context.Op.Outputs.Count != 1) return false;
            var a = context.Input(0);
            var b = context.Input(1);
            var y = context.Output(0);
            return a.Storage == PlanStorage.Arena && b.Storage == PlanStorage.Arena
                && a.Layout == "rowmajor" && b.Layout == "rowmajor" && y.Layout == "rowmajor"
                && Int8Code.IsEightBit(a.ElementType) && Int8Code.IsEightBit(b.ElementType)
                && a.Shape.Count >= 2 && b.Shape.Count >= 2
                && (long)b.Shape[b.Shape.Count - 1] * b.Shape[b.Shape.Count - 2] <= MaxStackBytes;
        }

        private static string MatrixIndex(CodeWriter code, int[] indices, string name)
        {
            if (indices.Select((v, i) => v == i).All(same => same)) return "batch";
            if (indices.All(v => v == 0)) return "0";
            code.Line("// Batch axes broadcast: which matrix of this operand each output batch reads.");
            Int8Code.ConstantArray(code, "int", name, indices);
            return $"{name}[batch]";
        }
    }
}
