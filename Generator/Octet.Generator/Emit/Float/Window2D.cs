using System;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// A Conv or pooling window over the two spatial axes of an NHWC tensor, resolved from the op's attributes
    /// the way the compiler's SlidingWindow does: output position o reads input positions
    /// <c>o·stride − padBegin + k·dilation</c>, k in [0, kernel); positions outside the input are padding.
    /// </summary>
    internal sealed class Window2D
    {
        public int InH, InW, OutH, OutW, KernelH, KernelW;
        public int StrideH = 1, StrideW = 1, DilationH = 1, DilationW = 1;
        public int PadTop, PadLeft, PadBottom, PadRight;

        public int ExtentH => (KernelH - 1) * DilationH + 1;
        public int ExtentW => (KernelW - 1) * DilationW + 1;

        /// <summary>True when some window along H reaches outside the input (then tap ranges must be clipped per row).</summary>
        public bool ClipsH => PadTop > 0 || (OutH - 1) * StrideH - PadTop + ExtentH > InH;
        public bool ClipsW => PadLeft > 0 || (OutW - 1) * StrideW - PadLeft + ExtentW > InW;

        /// <summary>
        /// Reads kernel size, strides, dilations and pads (resolving <c>auto_pad</c> from the shapes when it is not
        /// NOTSET), and checks that they give the plan's output size. Null, with the problem reported, otherwise.
        /// </summary>
        public static Window2D? Resolve(OpEmitContext context, PlanTensor input, PlanTensor output, int kernelH, int kernelW, bool ceilMode)
        {
            string op = $"{context.Op.OpType} '{context.Op.Name}'";
            var window = new Window2D
            {
                InH = input.Shape[2], InW = input.Shape[3], OutH = output.Shape[2], OutW = output.Shape[3],
                KernelH = kernelH, KernelW = kernelW,
            };
            if (!Pair(context, "strides", ref window.StrideH, ref window.StrideW) ||
                !Pair(context, "dilations", ref window.DilationH, ref window.DilationW))
                return null;
            var pads = context.Ints("pads");
            if (pads != null)
            {
                if (pads.Length != 4)
                {
                    context.Unsupported($"{op}: pads has {pads.Length} values; a 2-D window needs 4");
                    return null;
                }
                window.PadTop = (int)pads[0];
                window.PadLeft = (int)pads[1];
                window.PadBottom = (int)pads[2];
                window.PadRight = (int)pads[3];
            }
            if (window.StrideH < 1 || window.StrideW < 1 || window.DilationH < 1 || window.DilationW < 1 || kernelH < 1 || kernelW < 1 ||
                window.PadTop < 0 || window.PadLeft < 0 || window.PadBottom < 0 || window.PadRight < 0)
            {
                context.Unsupported($"{op}: kernel, strides and dilations must be positive and pads non-negative");
                return null;
            }

            string autoPad = context.String("auto_pad") ?? "NOTSET";
            switch (autoPad)
            {
                case "":
                case "NOTSET":
                    break;
                case "VALID":
                    window.PadTop = window.PadLeft = window.PadBottom = window.PadRight = 0;
                    break;
                case "SAME_UPPER":
                case "SAME_LOWER":
                    // Output covers every stride step; the padding that needs is split evenly, the odd element at the
                    // end (UPPER) or the beginning (LOWER).
                    SamePads(window.InH, window.StrideH, window.ExtentH, autoPad == "SAME_UPPER", out window.PadTop, out window.PadBottom);
                    SamePads(window.InW, window.StrideW, window.ExtentW, autoPad == "SAME_UPPER", out window.PadLeft, out window.PadRight);
                    break;
                default:
                    context.Unsupported($"{op}: auto_pad \"{autoPad}\" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
                    return null;
            }

            int expectedH = autoPad.StartsWith("SAME", StringComparison.Ordinal) ? (window.InH + window.StrideH - 1) / window.StrideH
                : Count(window.InH, window.PadTop, window.PadBottom, window.ExtentH, window.StrideH, ceilMode);
            int expectedW = autoPad.StartsWith("SAME", StringComparison.Ordinal) ? (window.InW + window.StrideW - 1) / window.StrideW
                : Count(window.InW, window.PadLeft, window.PadRight, window.ExtentW, window.StrideW, ceilMode);
            if (expectedH != window.OutH || expectedW != window.OutW)
            {
                context.Unsupported($"{op}: the window (kernel {kernelH}x{kernelW}, strides {window.StrideH},{window.StrideW}, dilations " +
                                    $"{window.DilationH},{window.DilationW}, pads {window.PadTop},{window.PadLeft},{window.PadBottom},{window.PadRight}) over " +
                                    $"{window.InH}x{window.InW} gives {expectedH}x{expectedW}, but the output '{output.Name}' is {window.OutH}x{window.OutW}");
                return null;
            }
            return window;
        }

        private static bool Pair(OpEmitContext context, string name, ref int first, ref int second)
        {
            var values = context.Ints(name);
            if (values == null) return true;
            if (values.Length != 2)
            {
                context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': {name} has {values.Length} values; a 2-D window needs 2");
                return false;
            }
            first = (int)values[0];
            second = (int)values[1];
            return true;
        }

        private static void SamePads(int input, int stride, int extent, bool upper, out int begin, out int end)
        {
            int size = (input + stride - 1) / stride;
            int total = Math.Max(0, (size - 1) * stride + extent - input);
            int small = total / 2, large = total - small;
            begin = upper ? small : large;
            end = upper ? large : small;
        }

        private static int Count(int input, int padBegin, int padEnd, int extent, int stride, bool ceilMode)
        {
            long span = (long)input + padBegin + padEnd - extent;
            if (span < 0) return -1;
            long size = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
            // With ceil_mode a last window may begin inside the end padding: ONNX drops it.
            if (ceilMode && (size - 1) * stride >= (long)input + padBegin) size--;
            return (int)size;
        }

        /// <summary>
        /// Writes <c>int {first} = ..., {last} = ...;</c>: the taps k of the window starting at input position
        /// <paramref name="origin"/> (an expression) that land inside [0, <paramref name="input"/>). Only called when the
        /// window can reach outside; the others use the whole kernel.
        /// </summary>
        public static void EmitTapRange(CodeWriter code, string origin, int input, int kernel, int dilation, string first, string last)
        {
            if (dilation == 1)
            {
                code.Line($"int {first} = Math.Max(0, -{origin});");
                code.Line($"int {last} = Math.Min({kernel}, {input} - {origin});");
            }
            else
            {
                // First k with origin + k·dilation ≥ 0, and one past the last with origin + k·dilation < input
                // (integer division truncates toward zero, so the negative cases are handled before dividing).
                code.Line($"int {first} = {origin} >= 0 ? 0 : (-{origin} + {dilation - 1}) / {dilation};");
                code.Line($"int {last} = {origin} >= {input} ? 0 : Math.Min({kernel}, ({input} - 1 - {origin}) / {dilation} + 1);");
            }
        }
    }
}
