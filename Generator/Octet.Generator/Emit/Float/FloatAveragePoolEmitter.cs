using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 2-D AveragePool on NHWC tensors: kernel, strides, dilations, pads (auto_pad resolved), ceil_mode and
    /// count_include_pad.
    /// </summary>
    /// <remarks>
    /// The arithmetic is the reference operator's: the taps inside the input summed in double in the same order
    /// (kernel rows, then columns), divided in double by the tap count and rounded once, so the result is
    /// bit-identical. The divisor for each output position is the product of per-axis tap counts, worked out
    /// here: taps inside the input, or with count_include_pad inside the input plus its declared padding
    /// (taps a ceil_mode window reaches beyond the declared padding never count). A window with no tap to count
    /// gives NaN (0/0), as in the reference.
    /// </remarks>
    public sealed class FloatAveragePoolEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "AveragePool" };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 1, 1)) return;
            PlanTensor x = context.Input(0), y = context.Output(0);
            string op = $"AveragePool '{context.Op.Name}'";
            if (!FloatEmit.ExpectFloat(context, x, y)) return;
            if (!FloatEmit.Expect(context, x, 4, "NHWC", "input") || !FloatEmit.Expect(context, y, 4, "NHWC", "output")) return;
            var kernel = context.Ints("kernel_shape");
            if (kernel == null || kernel.Length != 2)
            {
                context.Unsupported($"{op}: kernel_shape must have 2 values (2-D pooling), found {(kernel == null ? "none" : "[" + string.Join(",", kernel) + "]")}");
                return;
            }
            if (y.Shape[0] != x.Shape[0] || y.Shape[1] != x.Shape[1])
            {
                context.Unsupported($"{op}: output [{string.Join(",", y.Shape)}] should keep the input's batch and channels [{string.Join(",", x.Shape)}]");
                return;
            }
            long countIncludePad = context.Int("count_include_pad", 0);
            var window = Window2D.Resolve(context, x, y, (int)kernel[0], (int)kernel[1], ceilMode: context.Int("ceil_mode", 0) != 0);
            if (window == null) return;

            int n = x.Shape[0], c = x.Shape[1];
            var rowTaps = TapCounts(window.OutH, window.InH, window.KernelH, window.StrideH, window.DilationH, window.PadTop, window.PadBottom, countIncludePad == 1);
            var columnTaps = TapCounts(window.OutW, window.InW, window.KernelW, window.StrideW, window.DilationW, window.PadLeft, window.PadRight, countIncludePad == 1);

            var code = context.Code;
            code.Line($"// {FloatEmit.Describe(y)} = average pool of {FloatEmit.Describe(x)}");
            code.Line($"// kernel {window.KernelH}x{window.KernelW}, strides {window.StrideH},{window.StrideW}, dilations {window.DilationH},{window.DilationW}, " +
                      $"pads {window.PadTop},{window.PadLeft},{window.PadBottom},{window.PadRight}, count_include_pad {countIncludePad}");
            code.Line($"ReadOnlySpan<float> x = {context.Span(x)};");
            code.Line($"Span<float> y = {context.Span(y)};");
            bool uniformRows = rowTaps.Distinct().Count() == 1, uniformColumns = columnTaps.Distinct().Count() == 1;
            code.Line("// Divisor of each output position: rows counted × columns counted.");
            if (!uniformRows) code.Line($"ReadOnlySpan<int> rowTaps = {FloatEmit.IntList(rowTaps)};");
            if (!uniformColumns) code.Line($"ReadOnlySpan<int> columnTaps = {FloatEmit.IntList(columnTaps)};");

            code.Open($"for (int n = 0; n < {n}; n++)");
            code.Open($"for (int oh = 0; oh < {window.OutH}; oh++)");
            code.Line($"int ihOrigin = {FloatEmit.Minus(FloatEmit.Times("oh", window.StrideH), window.PadTop)};");
            if (window.ClipsH) Window2D.EmitTapRange(code, "ihOrigin", window.InH, window.KernelH, window.DilationH, "khFirst", "khLast");
            code.Open($"for (int ow = 0; ow < {window.OutW}; ow++)");
            code.Line($"int iwOrigin = {FloatEmit.Minus(FloatEmit.Times("ow", window.StrideW), window.PadLeft)};");
            if (window.ClipsW) Window2D.EmitTapRange(code, "iwOrigin", window.InW, window.KernelW, window.DilationW, "kwFirst", "kwLast");
            string khFirst = window.ClipsH ? "khFirst" : "0", khLast = window.ClipsH ? "khLast" : window.KernelH.ToString();
            string kwFirst = window.ClipsW ? "kwFirst" : "0", kwLast = window.ClipsW ? "kwLast" : window.KernelW.ToString();
            string rows = uniformRows ? rowTaps[0].ToString() : "rowTaps[oh]";
            string columns = uniformColumns ? columnTaps[0].ToString() : "columnTaps[ow]";
            code.Line($"long divisor = (long){rows} * {columns};");
            code.Line($"int output = ((n * {window.OutH} + oh) * {window.OutW} + ow) * {c};");
            code.Open($"for (int k = 0; k < {c}; k++)");
            code.Line("double sum = 0;");
            code.Open($"for (int kh = {khFirst}; kh < {khLast}; kh++)");
            code.Line($"int row = ((n * {window.InH} + ihOrigin + {FloatEmit.Times("kh", window.DilationH)}) * {window.InW} + iwOrigin) * {c} + k;");
            code.Open($"for (int kw = {kwFirst}; kw < {kwLast}; kw++)");
            code.Line($"sum += x[row + {FloatEmit.Times("kw", window.DilationW * c)}];");
            code.Close();
            code.Close();
            code.Line("y[output + k] = divisor == 0 ? float.NaN : (float)(sum / divisor);");
            code.Close(); // k
            code.Close(); // ow
            code.Close(); // oh
            code.Close(); // n
        }

        /// <summary>For each output position along one axis, how many of its taps the divisor counts.</summary>
        private static int[] TapCounts(int outputs, int input, int kernel, int stride, int dilation, int padBegin, int padEnd, bool countPadding)
        {
            int low = countPadding ? -padBegin : 0, high = input + (countPadding ? padEnd : 0);
            var counts = new int[outputs];
            for (int o = 0; o < outputs; o++)
                for (int k = 0; k < kernel; k++)
                {
                    int position = o * stride - padBegin + k * dilation;
                    if (position >= low && position < high) counts[o]++;
                }
            return counts;
        }
    }
}
