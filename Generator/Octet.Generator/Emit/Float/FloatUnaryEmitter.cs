using System;
using System.Collections.Generic;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 activations of one input: Relu, LeakyRelu, Sigmoid, Exp, Tanh. Input and output normally share
    /// shape and layout (one call over the whole tensor, in place or not); if their layouts differ the kernel
    /// walks the output in memory order and reads the input by strides.
    /// </summary>
    public sealed class FloatUnaryEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Relu", "LeakyRelu", "Sigmoid", "Exp", "Tanh" };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 1, 1)) return;
            PlanTensor x = context.Input(0), y = context.Output(0);
            if (!FloatEmit.ExpectFloat(context, x, y)) return;
            string activation = FloatEmit.Runtime + "FloatActivation.";
            switch (context.Op.OpType)
            {
                case "Relu":
                    if (FusedActivation.AbsorbedBy(context.Plan, context.Op) is { } producer)
                    {
                        context.Code.Line($"// Fused into the op before it ({producer.OpType} '{producer.Name}'), which clamped its outputs at 0 in place: nothing left to do.");
                        break;
                    }
                    EmitUnary(context, x, y, "max(0, x)", activation + "Relu", "", v => $"{v} < 0 ? 0 : {v}");
                    break;
                case "LeakyRelu":
                {
                    string alpha = Literals.Float(context.Float("alpha", 0.01f));
                    EmitUnary(context, x, y, $"x < 0 ? {alpha}·x : x", activation + "LeakyRelu", alpha, v => $"{v} < 0 ? {alpha} * {v} : {v}");
                    break;
                }
                case "Sigmoid":
                    EmitUnary(context, x, y, "1 / (1 + exp(-x))", activation + "Sigmoid", "", v => $"{activation}Sigmoid({v})");
                    break;
                case "Exp":
                    EmitUnary(context, x, y, "exp(x)", activation + "Exp", "", v => $"MathF.Exp({v})");
                    break;
                default:
                    EmitUnary(context, x, y, "tanh(x)", activation + "Tanh", "", v => $"MathF.Tanh({v})");
                    break;
            }
        }

        /// <summary>
        /// Writes <c>y = f(x)</c>: <paramref name="call"/><c>(x, [extra,] y)</c> over contiguous runs, or
        /// <paramref name="scalar"/> per element where the input is strided.
        /// </summary>
        internal static void EmitUnary(OpEmitContext context, PlanTensor x, PlanTensor y, string formula, string call, string extra,
            Func<string, string> scalar)
        {
            if (!Same(x.Shape, y.Shape))
            {
                context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': input [{string.Join(",", x.Shape)}] and output [{string.Join(",", y.Shape)}] differ in shape");
                return;
            }
            var loops = StridedLoops.ForBroadcast(context, y, new[] { x });
            if (loops == null) return;
            var code = context.Code;
            string arguments = extra.Length == 0 ? "" : extra + ", ";
            code.Line($"// {FloatEmit.Describe(y)} = {formula} for x = {FloatEmit.Describe(x)}");
            code.Line($"ReadOnlySpan<float> x = {context.Span(x)};");
            code.Line($"Span<float> y = {context.Span(y)};");
            if (loops.Rank <= 1 && loops.InnerStride(1) == 1)
            {
                code.Line($"{call}(x, {arguments}y);");
                return;
            }
            code.Line("// x and y differ in layout: walk y in memory order and read x by its strides.");
            loops.Emit(code, new[] { "yAt", "xAt" }, () =>
            {
                long stride = loops.InnerStride(1);
                if (stride == 1)
                {
                    code.Line($"{call}(x.Slice(xAt, {loops.InnerSize}), {arguments}y.Slice(yAt, {loops.InnerSize}));");
                    return;
                }
                code.Open($"for (int j = 0; j < {loops.InnerSize}; j++)");
                code.Line($"float v = x[xAt + j * {stride}];");
                code.Line($"y[yAt + j] = {scalar("v")};");
                code.Close();
            });
        }

        private static bool Same(EquatableArray<int> a, EquatableArray<int> b)
        {
            if (a.Count != b.Count) return false;
            for (int i = 0; i < a.Count; i++) if (a[i] != b[i]) return false;
            return true;
        }
    }
}
