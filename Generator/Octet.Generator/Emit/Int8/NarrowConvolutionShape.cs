namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// When a QConv goes to the runtime's direct narrow-window kernel (<c>Octet.Runtime.Int8.NarrowConvolution</c>), and
    /// the sizes of the buffers it takes. The sizes mirror the runtime's <c>PackedLength</c> and <c>ScratchLength</c> (the
    /// generator cannot reference the runtime: it is a netstandard2.0 analyzer); the runtime checks them again at each call.
    /// </summary>
    internal static class NarrowConvolutionShape
    {
        /// <summary>Longest kernel row (KW · C bytes) the kernel reads in place (the runtime's <c>MaxKernelRowBytes</c>).</summary>
        public const int MaxKernelRowBytes = 64;

        /// <summary>
        /// Most output channels it is given. The runtime takes up to 128 (its <c>MaxOutputChannels</c>), but no model here
        /// has a narrow layer with more than 64 outputs to measure that on (this squeezenet1.0's first layer is 64 filters of
        /// 3×3×3, not the 96 filters of 7×7×3 of other exports), so wider layers keep the GEMM until one is measured.
        /// </summary>
        public const int MaxOutputChannels = 64;

        /// <summary>
        /// Bytes of padded input a band of output rows aims to fill: small enough that the band, written just before the
        /// windows read it, is still in the L1 cache (48 KiB here) beside the packed weights.
        /// </summary>
        public const int BandBudget = 16 * 1024;

        /// <summary>
        /// True when the narrow kernel takes the convolution. Why each condition:
        /// <list type="bullet">
        /// <item>group 1 and int8 weights without a weight zero point: the kernel sums Σ x̂ · w with signed weights only;</item>
        /// <item>fixed-point requantization to 8 bits (<paramref name="fixedPointToEightBits"/>): its epilogue is
        /// <c>Requantization.FixedPoint</c> (any shift) storing bytes; an int16 output (the 16-bit residual stream of the
        /// transformer plans) keeps the GEMM and its wide row requantization;</item>
        /// <item>a real window (not a 1×1 without padding, which the GEMM already reads in place) undilated along the width,
        /// so that a kernel row of every window is KW · C contiguous bytes of an NHWC row;</item>
        /// <item>KW · C ≤ <see cref="MaxKernelRowBytes"/>: short kernel rows are where gathering patches cost more than the
        /// products (the 1-channel and 8-channel 5×5 convolutions of MNIST: 18.9 → 4.2 µs and 9.7 → 4.5 µs);</item>
        /// <item>M ≤ <see cref="MaxOutputChannels"/> and the padded input rows of one output row within the stack budget
        /// (larger layers go in bands of output rows, each padded into the scratch just before it is read, and split into
        /// work units of row bands when they have at least <see cref="QConvEmitter.ParallelMacs"/> multiply-accumulates).</item>
        /// </list>
        /// </summary>
        public static bool Applies(int group, string weightType, bool weightZeroPoints, bool fixedPointToEightBits, bool pointwise,
            int channels, int kernelWidth, int dilationWidth, int outputChannels, long oneRowScratchBytes) =>
            group == 1 && weightType == "int8" && !weightZeroPoints && fixedPointToEightBits && !pointwise && dilationWidth == 1 &&
            (long)kernelWidth * channels <= MaxKernelRowBytes && outputChannels <= MaxOutputChannels &&
            oneRowScratchBytes <= QConvEmitter.MaxStackBytes;

        /// <summary>
        /// Bytes of scratch a band of <paramref name="outputRows"/> output rows takes (the runtime's <c>BandScratchLength</c>):
        /// the padded input rows its windows read plus the 4 bytes the last tap group may read past them.
        /// </summary>
        public static long BandScratchBytes(int channels, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int dilationHeight,
            int outputWidth, int outputRows)
        {
            long paddedWidth = (long)(outputWidth - 1) * strideWidth + kernelWidth;
            long paddedHeight = (long)(outputRows - 1) * strideHeight + (long)(kernelHeight - 1) * dilationHeight + 1;
            return paddedHeight * paddedWidth * channels + 4;
        }

        /// <summary>Bytes of packed weights (the runtime's <c>PackedLength</c>): per block of 8 channels, 8 corrections and [KH][groups][8][4] bytes.</summary>
        public static long PackedBytes(int outputChannels, int channels, int kernelHeight, int kernelWidth)
        {
            long blocks = (outputChannels + 7) / 8;
            long groups = ((long)kernelWidth * channels + 3) / 4;
            return blocks * 32 + blocks * kernelHeight * groups * 32;
        }
    }
}
