using System.Runtime.Intrinsics;

namespace Octet.Runtime;

public static partial class FloatDirectConv
{
    /// <summary>
    /// Packs constant OHWI filters into the weight panels <see cref="Nhwc(ReadOnlySpan{float}, int, int, int, int, PackedWeights, int, int, int, int, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, int)"/>
    /// reads, for the vector width this machine's <see cref="Nhwc(ReadOnlySpan{float}, int, int, int, int, ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, int)"/>
    /// would choose: what that method does to the filters at every call, done once (generated constructors call it).
    /// </summary>
    public static PackedWeights Pack(ReadOnlySpan<float> w, int outputChannels, int kernelH, int kernelW, int channels) =>
        PackForWidth(ChosenWidth(outputChannels), w, outputChannels, kernelH, kernelW, channels);

    /// <summary><see cref="Pack"/> for a chosen path (512, 256, 128: that vector width; 0: the specification), for tests.</summary>
    internal static PackedWeights PackForWidth(int bits, ReadOnlySpan<float> w, int outputChannels, int kernelH, int kernelW, int channels)
    {
        if (outputChannels < 1 || kernelH < 1 || kernelW < 1 || channels < 1)
            throw new ArgumentException("FloatDirectConv.Pack: output channels, kernel size and channels must be positive");
        long filter = (long)kernelH * kernelW * channels;
        if (!Supports(outputChannels, (int)Math.Min(filter, int.MaxValue)))
            throw new ArgumentException($"FloatDirectConv.Pack: {outputChannels} output channels × filter {filter} exceed the {MaxPanelFloats}-float weight panel");
        if (outputChannels * filter > w.Length)
            throw new ArgumentException($"FloatDirectConv.Pack: w holds {w.Length} floats; {outputChannels} filters of {filter} need {outputChannels * filter}", nameof(w));
        float[] panels;
        if (bits == 0)
        {
            panels = w.Slice(0, (int)(outputChannels * filter)).ToArray();
        }
        else
        {
            int count = bits / 32;
            panels = new float[PanelFloats(outputChannels, (int)filter, count)];
            PackPanels(w, outputChannels, (int)filter, count, panels);
        }
        return new PackedWeights(panels, outputChannels, kernelH, kernelW, channels, bits);
    }

    /// <summary>Constant filters packed by <see cref="Pack"/>: the weight panels in the order the kernel reads them, and the vector width they are for.</summary>
    public sealed class PackedWeights
    {
        internal PackedWeights(float[] panels, int outputChannels, int kernelH, int kernelW, int channels, int bits)
        {
            Panels = panels;
            OutputChannels = outputChannels;
            KernelH = kernelH;
            KernelW = kernelW;
            Channels = channels;
            Bits = bits;
        }

        /// <summary>The panels (for the scalar path: the OHWI filters themselves).</summary>
        internal float[] Panels { get; }
        /// <summary>Filters: the layer's output channels.</summary>
        public int OutputChannels { get; }
        /// <summary>Kernel height.</summary>
        public int KernelH { get; }
        /// <summary>Kernel width.</summary>
        public int KernelW { get; }
        /// <summary>Input channels per filter tap.</summary>
        public int Channels { get; }
        /// <summary>512, 256 or 128: the vector width; 0: no vector hardware (the scalar specification).</summary>
        internal int Bits { get; }
    }

    /// <summary>The vector width (bits) <see cref="Nhwc(ReadOnlySpan{float}, int, int, int, int, ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, int)"/> uses for this many output channels; 0 for the specification.</summary>
    private static int ChosenWidth(int outputChannels) =>
        Vector512.IsHardwareAccelerated && outputChannels > 8 ? 512
        : Vector256.IsHardwareAccelerated ? 256
        : Vector128.IsHardwareAccelerated ? 128
        : 0;

    /// <summary>
    /// Vectors of output channels per pass over the input taps: 6 pixels × 4 vectors = 24 accumulators + 4 weight vectors
    /// fit AVX-512's 32 registers; with 16 registers (AVX2, Vector128) 6 × 2.
    /// </summary>
    private static int VectorsPerPass(int count) => count == 16 ? 4 : 2;

    /// <summary>Floats of the packed panels: every tap and channel × the output channels rounded up to whole vectors.</summary>
    private static int PanelFloats(int outputChannels, int filter, int count) => filter * RoundUp(outputChannels, count);

    /// <summary>
    /// The panels: the output channels in blocks of one pass (<see cref="VectorsPerPass"/> vectors; the last block
    /// rounded up to whole vectors, padded with zeros), each block [tap·channel][block width] and contiguous, so that a
    /// pass reads only its own block's weights (16 → 64 channels, 3×3: 36 KB; 64 → 256: four blocks of 147 KB).
    /// </summary>
    private static void PackPanels(ReadOnlySpan<float> w, int m, int filter, int count, Span<float> panels)
    {
        int blockOutputs = VectorsPerPass(count) * count;
        int offset = 0;
        for (int b0 = 0; b0 < m; b0 += blockOutputs)
        {
            int blockWidth = Math.Min(blockOutputs, RoundUp(m - b0, count));
            Span<float> block = panels.Slice(offset, filter * blockWidth);
            block.Clear();
            for (int j = 0; j < Math.Min(blockWidth, m - b0); j++)
            {
                ReadOnlySpan<float> row = w.Slice((b0 + j) * filter, filter);
                for (int t = 0; t < filter; t++) block[t * blockWidth + j] = row[t];
            }
            offset += filter * blockWidth;
        }
    }
}
