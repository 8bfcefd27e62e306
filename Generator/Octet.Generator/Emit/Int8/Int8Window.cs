using System;
using System.Linq;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// A 2-D kernel window over the spatial axes (H, W) of an NCHW tensor, resolved from Conv/pooling attributes
    /// exactly as the compiler's <c>SlidingWindow</c> does (auto_pad, ceil_mode): output position o along an axis
    /// reads input positions <c>o · stride − padBegin + k · dilation</c>, positions outside the input being padding.
    /// </summary>
    internal sealed class Int8Window
    {
        public int[] Input { get; private set; } = new int[2];
        public int[] Output { get; private set; } = new int[2];
        public int[] Kernel { get; private set; } = new int[2];
        public int[] Strides { get; private set; } = new int[2];
        public int[] Dilations { get; private set; } = new int[2];
        public int[] PadBegin { get; private set; } = new int[2];
        public int[] PadEnd { get; private set; } = new int[2];

        /// <summary>True when no tap of any window falls in the padding.</summary>
        public bool NoPadding => Enumerable.Range(0, 2).All(a => FirstInside(a) == 0 && LastInside(a) == Output[a]);

        /// <param name="kernelFromWeights">Conv: the weights' spatial dims; pools: null (kernel_shape required).</param>
        public static Int8Window Resolve(OpEmitContext context, int inH, int inW, int[]? kernelFromWeights, bool ceilMode)
        {
            var window = new Int8Window { Input = new[] { inH, inW } };
            var kernelAttribute = Int8Code.Ints(context, "kernel_shape");
            if (kernelFromWeights != null)
            {
                if (kernelAttribute != null && !kernelAttribute.SequenceEqual(kernelFromWeights))
                    throw new EmitException($"kernel_shape [{string.Join(",", kernelAttribute)}] does not match the weights' spatial dims [{string.Join(",", kernelFromWeights)}]");
                window.Kernel = kernelFromWeights;
            }
            else
            {
                window.Kernel = kernelAttribute ?? throw new EmitException("required attribute 'kernel_shape' is missing");
                if (window.Kernel.Length != 2) throw new EmitException($"kernel_shape has {window.Kernel.Length} values; this kernel is 2-D");
            }
            if (window.Kernel.Any(k => k < 1)) throw new EmitException("every kernel dimension must be at least 1");
            window.Strides = Read(context, "strides", 2, 1);
            window.Dilations = Read(context, "dilations", 2, 1);
            var pads = Read(context, "pads", 4, 0);
            window.PadBegin = new[] { pads[0], pads[1] };
            window.PadEnd = new[] { pads[2], pads[3] };
            if (window.Strides.Any(s => s < 1) || window.Dilations.Any(d => d < 1) || pads.Any(p => p < 0))
                throw new EmitException("strides and dilations must be at least 1 and pads non-negative");

            string autoPad = context.String("auto_pad") ?? "NOTSET";
            if (autoPad.Length == 0) autoPad = "NOTSET";
            for (int i = 0; i < 2; i++)
            {
                long extent = (long)(window.Kernel[i] - 1) * window.Dilations[i] + 1;
                int input = window.Input[i], stride = window.Strides[i];
                switch (autoPad)
                {
                    case "SAME_UPPER":
                    case "SAME_LOWER":
                    {
                        int size = (int)((input + (long)stride - 1) / stride);
                        long total = Math.Max(0, (long)(size - 1) * stride + extent - input);
                        long small = total / 2, large = total - small;
                        window.PadBegin[i] = (int)(autoPad == "SAME_UPPER" ? small : large);
                        window.PadEnd[i] = (int)(autoPad == "SAME_UPPER" ? large : small);
                        window.Output[i] = size;
                        break;
                    }
                    case "VALID":
                        window.PadBegin[i] = window.PadEnd[i] = 0;
                        window.Output[i] = CountWindows(input, 0, 0, extent, stride, ceilMode);
                        break;
                    case "NOTSET":
                        window.Output[i] = CountWindows(input, window.PadBegin[i], window.PadEnd[i], extent, stride, ceilMode);
                        break;
                    default:
                        throw new EmitException($"auto_pad \"{autoPad}\" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
                }
            }
            return window;
        }

        private static int[] Read(OpEmitContext context, string name, int count, int fallback)
        {
            var values = Int8Code.Ints(context, name);
            if (values == null) return Enumerable.Repeat(fallback, count).ToArray();
            if (values.Length != count) throw new EmitException($"attribute '{name}' has {values.Length} values; expected {count} (2-D)");
            return values;
        }

        private static int CountWindows(int input, int padBegin, int padEnd, long extent, int stride, bool ceilMode)
        {
            long span = (long)input + padBegin + padEnd - extent;
            if (span < 0) throw new EmitException($"the window ({extent} positions) is larger than the padded input ({input} + {padBegin} + {padEnd})");
            long size = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
            if (ceilMode && (size - 1) * stride >= (long)input + padBegin) size--;
            return (int)size;
        }

        /// <summary>The first output position along <paramref name="axis"/> whose whole window lies inside the input.</summary>
        public int FirstInside(int axis)
        {
            int o = 0;
            while (o < Output[axis] && o * Strides[axis] - PadBegin[axis] < 0) o++;
            return o;
        }

        /// <summary>One past the last output position along <paramref name="axis"/> whose whole window lies inside the input.</summary>
        public int LastInside(int axis)
        {
            int o = Output[axis];
            while (o > 0 && (o - 1) * Strides[axis] - PadBegin[axis] + (Kernel[axis] - 1) * Dilations[axis] >= Input[axis]) o--;
            return o;
        }

        /// <summary>Per output position along <paramref name="axis"/>: taps inside the input, or (<paramref name="countPadding"/>) inside input plus declared padding.</summary>
        public int[] TapCounts(int axis, bool countPadding)
        {
            int low = countPadding ? -PadBegin[axis] : 0;
            int high = Input[axis] + (countPadding ? PadEnd[axis] : 0);
            var counts = new int[Output[axis]];
            for (int o = 0; o < counts.Length; o++)
                for (int k = 0; k < Kernel[axis]; k++)
                {
                    int position = o * Strides[axis] - PadBegin[axis] + k * Dilations[axis];
                    if (position >= low && position < high) counts[o]++;
                }
            return counts;
        }

        public string Describe() =>
            $"kernel {Kernel[0]}x{Kernel[1]}, strides {Strides[0]},{Strides[1]}, dilations {Dilations[0]},{Dilations[1]}, " +
            $"pads (top {PadBegin[0]}, left {PadBegin[1]}, bottom {PadEnd[0]}, right {PadEnd[1]})";
    }
}
