using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// QGemm and QMatMul whose activation A is <b>int16</b> (a linear layer reading the 16-bit residual stream of an
    /// integer transformer, in practice the class head) against a constant 8-bit weight matrix packed NK. The compiler's
    /// reference accumulates such products exactly in int64 (K products of up to 2^15 · 2^8 overflow int32 long before K
    /// reaches a transformer's width) and requantizes the int64 accumulator with an exact 128-bit product; the emitted
    /// code is one call of <c>Octet.Runtime.Int16.Int16Gemm.FixedPoint</c>, which does exactly that (int64 sums of AVX2
    /// pair products). Only fixed-point requantization: an int16 activation belongs to the integer-only numerics.
    /// </summary>
    internal static class WideActivationGemm
    {
        /// <summary>Checks what the kernel needs; throws <see cref="EmitException"/> naming what is missing.</summary>
        public static void Check(PlanTensor a, PlanTensor w, Int8Requantization requantization)
        {
            if (w.Layout != "NK" || w.Storage == PlanStorage.Arena)
                throw new EmitException($"an int16 activation A '{a.Name}' needs a constant weight matrix packed NK; '{w.Name}' is {w.Layout} in the {w.Storage.ToString().ToLowerInvariant()}");
            Int8Code.ExpectEightBit(w, "weights W");
            if (!requantization.IsFixedPoint)
                throw new EmitException($"an int16 activation A '{a.Name}' needs fixed-point requantization (its int64 accumulator has no float mode)");
        }

        /// <summary>
        /// Writes the kernel call into an open block: declares the spans and constants it reads, then calls
        /// <c>Int16Gemm.FixedPoint</c> for <paramref name="rows"/> × <paramref name="columns"/> outputs.
        /// </summary>
        public static void Write(CodeWriter code, OpEmitContext context, PlanTensor a, PlanTensor w, PlanTensor? bias, PlanTensor y,
            int rows, int depth, int columns, int aZeroPoint, int[] weightZeroPoints, Int8Requantization requantization)
        {
            code.Line("// A is int16: the reference accumulates Σ (a − a_zp)(w − w_zp) + B exactly in int64 and requantizes the int64");
            code.Line("// accumulator through the exact 128-bit product acc·M0; Int16Gemm computes the same integers (int64 sums of pair products).");
            code.Line($"var a = {context.Span(a)};");
            code.Line($"var w = {context.Span(w)};");
            if (bias != null) code.Line($"var bias = {context.Span(bias)};");
            code.Line($"var y = {context.Span(y)};");
            requantization.DeclareConstants(code);
            requantization.DeclareRowConstants(code);
            var zeroPoints = weightZeroPoints.Distinct().Count() == 1 ? new[] { weightZeroPoints[0] } : weightZeroPoints;
            Int8Code.ConstantArray(code, "int", "weightZeroPoints", zeroPoints);
            string types = $"{OpEmitContext.ClrType(w.ElementType)}, {OpEmitContext.ClrType(y.ElementType)}";
            code.Line($"global::Octet.Runtime.Int16.Int16Gemm.FixedPoint<{types}>(a, {rows}, {depth}, {Int8Code.Int(aZeroPoint)}, w, {columns}, weightZeroPoints, " +
                      $"{(bias != null ? "bias" : "default")}, multipliers, shifts, {requantization.ZeroPoint}, {requantization.ClampMin}, {requantization.ClampMax}, y);");
        }
    }
}
