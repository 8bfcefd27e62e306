using System;
using System.Collections.Generic;
using System.Linq;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// ONNX MaxPool, 2-D, NHWC, on int8, uint8 or float32: it only selects values, so it serves integer and
    /// float plans alike. The window geometry (kernel, strides, dilations, padding after auto_pad, ceil_mode) is
    /// resolved here as the compiler's SlidingWindow does and checked against the plan's output shape; the
    /// runtime's <c>MaxPool.Nhwc</c> does the pooling. The optional Indices output is not supported.
    /// </summary>
    internal sealed class MaxPoolEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "MaxPool" };

        public void Emit(OpEmitContext context)
        {
            if (!Checks.InputCount(context, 1)) return;
            if (context.Op.Outputs.Count > 1)
            {
                context.Unsupported("the Indices output is not supported");
                return;
            }
            var x = context.Input(0);
            var y = context.Output(0);
            if (!Checks.SameElementType(context, x, y) || !Checks.Size(context, x)) return;
            if (x.ElementType != "int8" && x.ElementType != "uint8" && x.ElementType != "float32")
            {
                context.Unsupported($"element type {x.ElementType}; MaxPool supports int8, uint8 and float32");
                return;
            }
            if (x.Shape.Count != 4 || x.Layout != TensorLayouts.Nhwc || y.Shape.Count != 4 || y.Layout != TensorLayouts.Nhwc)
            {
                context.Unsupported($"input {Literals.Shape(x.Shape)} {x.Layout} and output {Literals.Shape(y.Shape)} {y.Layout}; MaxPool needs rank-4 NHWC (2-D pooling)");
                return;
            }
            // storage_order only changes the Indices output, which is not supported: it is ignored.
            var kernel = Ints(context, "kernel_shape", 2, null);
            var strides = Ints(context, "strides", 2, 1);
            var dilations = Ints(context, "dilations", 2, 1);
            var pads = Ints(context, "pads", 4, 0);
            if (kernel == null || strides == null || dilations == null || pads == null) return;
            if (kernel.Any(k => k < 1) || strides.Any(s => s < 1) || dilations.Any(d => d < 1) || pads.Any(p => p < 0))
            {
                context.Unsupported($"kernel [{string.Join(",", kernel)}], strides [{string.Join(",", strides)}], dilations [{string.Join(",", dilations)}], pads [{string.Join(",", pads)}] are out of range");
                return;
            }
            string autoPad = context.String("auto_pad") ?? "NOTSET";
            if (autoPad.Length == 0) autoPad = "NOTSET";
            bool ceilMode = context.Int("ceil_mode", 0) == 1;

            var padBegin = new int[2];
            var expected = new int[2];
            for (int i = 0; i < 2; i++)
            {
                int input = x.Shape[2 + i];
                long extent = (long)(kernel[i] - 1) * dilations[i] + 1;
                switch (autoPad)
                {
                    case "SAME_UPPER":
                    case "SAME_LOWER":
                    {
                        int size = (int)((input + (long)strides[i] - 1) / strides[i]);
                        long total = Math.Max(0, (long)(size - 1) * strides[i] + extent - input);
                        long small = total / 2, large = total - small;
                        padBegin[i] = (int)(autoPad == "SAME_UPPER" ? small : large);
                        expected[i] = size;
                        break;
                    }
                    case "VALID":
                        padBegin[i] = 0;
                        expected[i] = Windows(input, 0, 0, extent, strides[i], ceilMode);
                        break;
                    case "NOTSET":
                        padBegin[i] = pads[i];
                        expected[i] = Windows(input, pads[i], pads[i + 2], extent, strides[i], ceilMode);
                        break;
                    default:
                        context.Unsupported($"auto_pad \"{autoPad}\"");
                        return;
                }
            }
            if (x.Shape[0] != y.Shape[0] || x.Shape[1] != y.Shape[1] || y.Shape[2] != expected[0] || y.Shape[3] != expected[1])
            {
                context.Unsupported($"output {Literals.Shape(y.Shape)} does not match the window over input {Literals.Shape(x.Shape)} (expected [{x.Shape[0]},{x.Shape[1]},{expected[0]},{expected[1]}])");
                return;
            }
            string type = OpEmitContext.ClrType(x.ElementType);
            int rows = y.Shape[0] * y.Shape[2];
            long windowReads = OpEmitContext.ElementCount(y) * kernel[0] * kernel[1];
            bool split = context.CanSplit && x.ElementType != "float32" && rows > 1 && windowReads >= SplitWindowReads;
            var code = context.Code;
            if (split)
            {
                code.Line($"// {windowReads} window reads: split into units of one output row each that the model's worker team may share;");
                code.Line("// each unit writes its own rows, so results do not depend on the threads.");
                code = context.SplitIntoUnits(rows);
            }
            code.Line($"global::Octet.Runtime.DataMovement.MaxPool.{(split ? "NhwcRows" : "Nhwc")}<{type}>({context.Span(x)}, {context.Span(y)},");
            code.Line($"    batch: {x.Shape[0]}, inputHeight: {x.Shape[2]}, inputWidth: {x.Shape[3]}, channels: {x.Shape[1]}, outputHeight: {y.Shape[2]}, outputWidth: {y.Shape[3]},");
            code.Line($"    kernelHeight: {kernel[0]}, kernelWidth: {kernel[1]}, strideHeight: {strides[0]}, strideWidth: {strides[1]},");
            code.Line($"    dilationHeight: {dilations[0]}, dilationWidth: {dilations[1]}, padTop: {padBegin[0]}, padLeft: {padBegin[1]}{(split ? ", firstRow: first, endRow: end" : "")});");
        }

        /// <summary>
        /// 8-bit MaxPools with at least this many window reads (output values × kernel taps) share their output rows
        /// over the model's worker team. Measured on squeezenet1.0 int8 (docs/performance.md, "Threading"): 3×3 windows
        /// over 55×55×64 outputs (1.7 M reads) ≈ 56 µs on one thread, 27×27×128 (0.84 M) ≈ 17 µs, 13×13×256 (0.39 M)
        /// ≈ 6 µs; a hand-over with its chunks costs a few µs, so a second thread pays from about 0.5 M reads.
        /// </summary>
        internal const long SplitWindowReads = 512 * 1024;

        /// <summary>Output positions along one axis without auto_pad, as ONNX counts them (ceil_mode drops a last window starting in the end padding).</summary>
        private static int Windows(int input, int padBegin, int padEnd, long extent, int stride, bool ceilMode)
        {
            long span = (long)input + padBegin + padEnd - extent;
            if (span < 0) return -1;
            long size = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
            if (ceilMode && (size - 1) * stride >= (long)input + padBegin) size--;
            return (int)size;
        }

        /// <param name="fallback">The value of every element when the attribute is absent; null when it is required.</param>
        private static int[]? Ints(OpEmitContext context, string name, int count, int? fallback)
        {
            var values = context.Ints(name);
            if (values == null)
            {
                if (fallback is { } value) return Enumerable.Repeat(value, count).ToArray();
                context.Unsupported($"attribute '{name}' is required");
                return null;
            }
            if (values.Length != count || values.Any(v => v < int.MinValue / 4 || v > int.MaxValue / 4))
            {
                context.Unsupported($"attribute '{name}' has values [{string.Join(",", values)}]; expected {count} values");
                return null;
            }
            return values.Select(v => (int)v).ToArray();
        }
    }
}
