using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Emit.Int8;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// <c>octet.IShiftAttention</c>: Softmax(X)·V with log2 / log√2 probability codes (A·V as shifts), X [.., T, L] and
    /// V [.., L, D] row-major with the same leading dimensions, Y [.., T, D]. One call of
    /// <c>Octet.Runtime.Transformer.IntegerShiftAttention.Apply</c>.
    /// </summary>
    public sealed class IShiftAttentionEmitter : Int8OpEmitter
    {
        private const int MaxWidth = 4096;

        public override IEnumerable<string> OpTypes => new[] { "octet.IShiftAttention" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 2 || context.Op.Outputs.Count != 1) throw new EmitException("expected inputs X and V and one output Y");
            var x = context.Input(0);
            var v = context.Input(1);
            var y = context.Output(0);
            foreach (var (tensor, role) in new[] { (x, "input X"), (v, "input V"), (y, "output Y") })
            {
                Int8Code.ExpectEightBit(tensor, role);
                Int8Code.ExpectLayout(tensor, role, "rowmajor");
                Int8Code.Count(tensor);
            }
            int rank = x.Shape.Count;
            if (rank < 2 || v.Shape.Count != rank) throw new EmitException($"X {Int8Code.Describe(x)} and V {Int8Code.Describe(v)} must have the same rank ≥ 2");
            if (!x.Shape.Take(rank - 2).SequenceEqual(v.Shape.Take(rank - 2))) throw new EmitException("X and V differ in their leading dimensions");
            int rows = x.Shape[rank - 2], length = x.Shape[rank - 1], width = v.Shape[rank - 1];
            if (v.Shape[rank - 2] != length) throw new EmitException($"X rows have length {length} but V has {v.Shape[rank - 2]} rows");
            if (rows == 0 || length == 0 || width == 0 || width > MaxWidth) throw new EmitException($"empty axes or a V row of {width} (the kernel takes 1 to {MaxWidth})");
            Int8Code.ExpectShape(y, "output Y", x.Shape.Take(rank - 1).Concat(new[] { width }).ToList());
            string method = TransformerCode.Method(context, "ibert", "shiftmax");
            var (xMultiplier, xShift) = TransformerCode.FixedPoint(context, "x_multiplier", "x_shift");
            string logBase = context.String("log_base") ?? throw new EmitException("required attribute 'log_base' is missing");
            if (logBase != "log2" && logBase != "logsqrt2") throw new EmitException($"log_base=\"{logBase}\"; expected \"log2\" or \"logsqrt2\"");
            if (!context.HasAttribute("bits")) throw new EmitException("required attribute 'bits' is missing");
            long bits = context.Int("bits", 0);
            if (bits < 1 || bits > 8) throw new EmitException($"bits={bits}; log codes have 1 to 8 bits");
            if (!context.HasAttribute("v_zero_point")) throw new EmitException("required attribute 'v_zero_point' is missing");
            int vZeroPoint = Int8Code.ZeroPoint(context, "v_zero_point", v.ElementType);
            var (multiplier, shift) = TransformerCode.FixedPoint(context, "multiplier", "shift");
            TransformerCode.ExpectOutputType(context, y);
            int yZeroPoint = Int8Code.ZeroPoint(context, "y_zero_point", y.ElementType);
            var (min, max) = Int8Code.Range(y.ElementType);
            int clampMin = Int8Code.Int(context, "clamp_min", min), clampMax = Int8Code.Int(context, "clamp_max", max);
            Int8Code.CheckInRange("clamp_min", clampMin, y.ElementType);
            Int8Code.CheckInRange("clamp_max", clampMax, y.ElementType);
            string methodName = method == "shiftmax" ? "Shiftmax" : "Ibert";
            string types = $"{OpEmitContext.ClrType(x.ElementType)}, {OpEmitContext.ClrType(v.ElementType)}, {OpEmitContext.ClrType(y.ElementType)}";

            return code =>
            {
                code.Line($"// IShiftAttention ({method}, {logBase} codes of {bits} bits): X {Int8Code.Describe(x)} x V {Int8Code.Describe(v)} (v_zero_point {vZeroPoint}) " +
                          $"-> Y {Int8Code.Describe(y)}; A*V as shifts, then fixed-point M0 {multiplier}, shift {shift}, y_zero_point {yZeroPoint}, clamp [{clampMin}, {clampMax}].");
                code.Line($"var parameters = new {TransformerCode.Runtime}ShiftAttentionParameters({TransformerCode.Runtime}SoftmaxMethod.{methodName},");
                code.Line($"    XMultiplier: {Int8Code.Int(xMultiplier)}, XShift: {Int8Code.Int(xShift)}, Sqrt2Base: {(logBase == "logsqrt2" ? "true" : "false")}, Bits: {bits}, VZeroPoint: {Int8Code.Int(vZeroPoint)},");
                code.Line($"    Multiplier: {Int8Code.Int(multiplier)}, Shift: {Int8Code.Int(shift)}, YZeroPoint: {Int8Code.Int(yZeroPoint)}, ClampMin: {Int8Code.Int(clampMin)}, ClampMax: {Int8Code.Int(clampMax)});");
                code.Line($"{TransformerCode.Runtime}IntegerShiftAttention.Apply<{types}>({context.Span(x)}, {context.Span(v)}, {context.Span(y)}, {rows}, {length}, {width}, parameters);");
            };
        }
    }
}
