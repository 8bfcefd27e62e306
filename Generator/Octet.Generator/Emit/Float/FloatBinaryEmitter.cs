using System.Collections.Generic;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Add, Sub, Mul, Div on float32: same shape and layout (one contiguous run), or ONNX multidirectional
    /// broadcasting with the index arithmetic worked out from the constant shapes (see <see cref="StridedLoops"/>).
    /// Each element is one IEEE operation, so results are bit-identical to the reference executor.
    /// </summary>
    public sealed class FloatBinaryEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Add", "Sub", "Mul", "Div" };

        private static (string Method, string Symbol) Operation(string opType) => opType switch
        {
            "Add" => ("Add", "+"),
            "Sub" => ("Subtract", "-"),
            "Mul" => ("Multiply", "*"),
            _ => ("Divide", "/"),
        };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 2, 1)) return;
            PlanTensor a = context.Input(0), b = context.Input(1), y = context.Output(0);
            if (!FloatEmit.ExpectFloat(context, a, b, y)) return;
            var loops = StridedLoops.ForBroadcast(context, y, new[] { a, b });
            if (loops == null) return;

            var (method, symbol) = Operation(context.Op.OpType);
            string call = FloatEmit.Runtime + "FloatElementwise." + method;
            var code = context.Code;
            code.Line($"// {FloatEmit.Describe(y)} = {FloatEmit.Describe(a)} {symbol} {FloatEmit.Describe(b)}");
            if (loops.Rank > 1)
                code.Line($"// Broadcast walk: loops [{string.Join(", ", loops.Sizes)}] over y in memory order; a strides [{string.Join(", ", loops.Strides[1])}], b strides [{string.Join(", ", loops.Strides[2])}] (0 = repeated).");
            code.Line($"ReadOnlySpan<float> a = {context.Span(a)};");
            code.Line($"ReadOnlySpan<float> b = {context.Span(b)};");
            code.Line($"Span<float> y = {context.Span(y)};");

            if (loops.Rank <= 1)
            {
                // One run: no offsets needed.
                EmitRun(code, loops, call, symbol, "0", "0", "0");
                return;
            }
            loops.Emit(code, new[] { "yAt", "aAt", "bAt" }, () => EmitRun(code, loops, call, symbol, "yAt", "aAt", "bAt"));
        }

        /// <summary>The innermost run: a runtime call when each operand either runs contiguously or stays put, else a strided loop.</summary>
        private static void EmitRun(CodeWriter code, StridedLoops loops, string call, string symbol, string yAt, string aAt, string bAt)
        {
            int n = loops.InnerSize;
            long sa = loops.InnerStride(1), sb = loops.InnerStride(2);
            string ySlice = Slice("y", yAt, n);
            if (n == 1)
            {
                code.Line($"y[{yAt}] = a[{aAt}] {symbol} b[{bAt}];");
            }
            else if (sa == 1 && sb == 1)
            {
                code.Line($"{call}({Slice("a", aAt, n)}, {Slice("b", bAt, n)}, {ySlice});");
            }
            else if (sa == 1 && sb == 0)
            {
                code.Line($"{call}({Slice("a", aAt, n)}, b[{bAt}], {ySlice});");
            }
            else if (sa == 0 && sb == 1)
            {
                code.Line($"{call}(a[{aAt}], {Slice("b", bAt, n)}, {ySlice});");
            }
            else
            {
                code.Open($"for (int j = 0; j < {n}; j++)");
                code.Line($"y[{Index(yAt, "j", 1)}] = a[{Index(aAt, "j", sa)}] {symbol} b[{Index(bAt, "j", sb)}];");
                code.Close();
            }
        }

        private static string Slice(string span, string at, int length) => at == "0" ? $"{span}.Slice(0, {length})" : $"{span}.Slice({at}, {length})";

        private static string Index(string at, string j, long stride)
        {
            string step = stride == 0 ? "" : stride == 1 ? j : $"{j} * {stride}";
            if (at == "0") return step.Length == 0 ? "0" : step;
            return step.Length == 0 ? at : $"{at} + {step}";
        }
    }
}
