using System.Collections.Generic;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 GlobalAveragePool on an NHWC tensor: the mean of each channel over all H×W positions. Summed in
    /// double in position order and divided once, exactly as the reference operator does (bit-identical).
    /// </summary>
    public sealed class FloatGlobalAveragePoolEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "GlobalAveragePool" };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 1, 1)) return;
            PlanTensor x = context.Input(0), y = context.Output(0);
            if (!FloatEmit.ExpectFloat(context, x, y)) return;
            if (!FloatEmit.Expect(context, x, 4, "NHWC", "input")) return;
            // [N, C, 1, 1] is stored the same way in NHWC and rowmajor, so either output layout is fine.
            if (y.Shape.Count != 4 || y.Shape[0] != x.Shape[0] || y.Shape[1] != x.Shape[1] || y.Shape[2] != 1 || y.Shape[3] != 1 ||
                !(y.Layout == "NHWC" || y.Layout == "rowmajor"))
            {
                context.Unsupported($"GlobalAveragePool '{context.Op.Name}': output '{y.Name}' is {y.Layout} [{string.Join(",", y.Shape)}]; expected [{x.Shape[0]},{x.Shape[1]},1,1]");
                return;
            }
            int n = x.Shape[0], c = x.Shape[1], plane = x.Shape[2] * x.Shape[3];
            var code = context.Code;
            code.Line($"// {FloatEmit.Describe(y)} = mean over H×W of {FloatEmit.Describe(x)}");
            code.Line($"ReadOnlySpan<float> x = {context.Span(x)};");
            code.Line($"Span<float> y = {context.Span(y)};");
            code.Line("// Each channel summed in double in position order, then divided once (FloatGlobalAverage: the reference's bits).");
            code.Open($"for (int n = 0; n < {n}; n++)");
            code.Line($"{FloatEmit.Runtime}FloatGlobalAverage.AverageNhwc(x.Slice(n * {(long)plane * c}, {(long)plane * c}), {plane}, {c}, y.Slice(n * {c}, {c}));");
            code.Close();
        }
    }
}
