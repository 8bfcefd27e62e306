using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime;

/// <summary>
/// Float32 matrix product against NK-packed weights with a fused epilogue:
/// <c>C[r, j] = clamp(init + Σₚ A[r, p]·B[j, p], low, high)</c>, where init is the bias <c>bias[j]</c>, or
/// C[r, j] itself when accumulating, or 0. The inner kernel of generated float Conv, Gemm and MatMul.
/// </summary>
/// <remarks>
/// <para><see cref="MultiplyScalar"/> is the specification: each output starts at its initial value and adds its K
/// products in index order, each with one fused multiply-add (<see cref="MathF.FusedMultiplyAdd"/>, one rounding per
/// step), then is clamped (<c>x &lt; low → low</c>, then <c>x &gt; high → high</c>: NaN passes, as in
/// <see cref="FloatActivation"/>; Relu is low = 0, high = +∞).</para>
/// <para>The SIMD paths (Vector512, Vector256, Vector128) are an outer-product kernel, as in BLIS and MLAS: a panel
/// of B's columns is repacked once per call, or once for all by <see cref="Pack"/> ("transposed" to [K][panel width],
/// zero-padded), then a register tile of 6 rows × up to 4 vectors of columns (Vector512; 2 vectors for Vector256 and
/// Vector128), or 12 rows × 1 vector for a one-vector panel, is accumulated by broadcasting one A element and doing
/// one FMA per vector, row and step.
/// No horizontal reduction: each lane is one output, and it adds exactly the specification's products in the
/// specification's order with the same fused rounding. So every path gives the specification's bits; the only
/// difference from the old dot-product kernel (<see cref="FloatGemm"/>) and from the reference executor is the
/// summation order, which is why float tests compare with the tolerance stated on <see cref="FloatDot"/>.</para>
/// <para>Long K is split in blocks of <see cref="KBlock"/> (<see cref="PerCallPanelFloats"/> when B is packed per
/// call), so that a panel block stays in L2 (L1); a block after the first
/// resumes from the partial sums stored in C, which keeps the order and the bits.</para>
/// </remarks>
public static partial class FloatPanelGemm
{
    /// <summary>
    /// K elements per block of weights packed by <see cref="Pack"/>. A Vector512 panel block is 64 columns × 512 × 4
    /// bytes = 128 KB: more than L1 (48 KB on Zen 5) at any useful K, so it streams from L2 (1 MB) anyway, and a
    /// longer block saves the C round trip (load, store) of every block after the first. Measured alternating in one
    /// process (2-core Zen 5, min of 15 batches): 169×512×1000 800 µs with 512 vs 833 µs with 256; 169×576×256
    /// (113-row chunks) 220 vs 227 µs; 169×432×192 124 vs 128 µs. Vector256 blocks are 16 columns × 512 × 4 = 32 KB.
    /// </summary>
    internal const int KBlock = 512;

    /// <summary>
    /// Floats of one panel block when B is packed at every call (not by <see cref="Pack"/>): 32 KB, so the block just
    /// written is still in L1 while the tiles read it (K blocks of 128 for Vector512). Measured against 512-K blocks
    /// (128 KB) alternating in one process: 169×432×192 141 vs 151 µs, 169×576×256 251–268 vs 274 µs, 729×288×128
    /// 256 vs 267–275 µs, 169×512×1000 880–894 vs 887–922 µs. The blocking differs from the packed weights' but not
    /// the bits: a block after the first resumes from the sums in C, in the same order.
    /// </summary>
    private const int PerCallPanelFloats = 8192;

    /// <summary>Rows of the register tile.</summary>
    internal const int TileRows = 6;

    /// <summary>Columns of the widest panel: four vectors of 16 floats (Vector512).</summary>
    private const int MaxPanelColumns = 64;

    /// <summary>
    /// Vectors of columns per panel (and register tile) for vectors of <paramref name="count"/> floats: 6 rows × 4
    /// vectors = 24 accumulators, plus 4 weight vectors and a broadcast, fit AVX-512's 32 registers; AVX2 and
    /// Vector128 have 16 registers, which 6 × 2 (12 accumulators, 2 weights, 1 broadcast) fills.
    /// </summary>
    private static int MaxPanelVectors(int count) => count == Vector512<float>.Count ? 4 : 2;

    /// <summary>Width (floats) of a panel holding <paramref name="columns"/> columns: whole vectors, as few as hold them.</summary>
    private static int PanelWidth(int columns, int count) => (columns + count - 1) / count * count;

    /// <summary>
    /// For r in [0, rows), j in [0, n): <c>c[r·ldc + j] = clamp(init + Σₚ a[r·lda + p]·b[j·k + p])</c> with init =
    /// <c>bias[j]</c> when <paramref name="bias"/> is not empty, else <c>c[r·ldc + j]</c> when
    /// <paramref name="accumulate"/>, else 0. Pass ±∞ as <paramref name="low"/>/<paramref name="high"/> for no clamp.
    /// </summary>
    [SkipLocalsInit]
    public static void Multiply(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                ReadOnlySpan<float> bias, float low, float high, Span<float> c, int ldc, bool accumulate)
    {
        CheckArguments(a, lda, rows, b, k, n, bias, c, ldc, accumulate);
        if (rows == 0 || n == 0) return;
        // Eight columns or fewer fill one Vector256 exactly; a Vector512 panel would compute half of it for nothing
        // (ChosenWidth). Measured: for 16 columns the Vector512 panel is still faster (8.0 vs 12.3 µs at 196×200×16).
        switch (ChosenWidth(n))
        {
            case 512: Run<V512, Vector512<float>>(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate); break;
            case 256: Run<V256, Vector256<float>>(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate); break;
            case 128: Run<V128, Vector128<float>>(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate); break;
            default: MultiplyScalarUnchecked(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate); break;
        }
    }

    /// <summary>
    /// Packs constant weights B ([n][k], NK) into the panels <see cref="Multiply(ReadOnlySpan{float}, int, int, PackedWeights, ReadOnlySpan{float}, float, float, Span{float}, int, bool)"/>
    /// reads, for the vector width this machine's <see cref="Multiply(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, bool)"/>
    /// would choose: what that method does to B at every call, done once (generated constructors call it).
    /// </summary>
    public static PackedWeights Pack(ReadOnlySpan<float> b, int k, int n)
    {
        if (k < 0 || n < 0 || (long)n * k > b.Length)
            throw new ArgumentException($"FloatPanelGemm.Pack: B holds {b.Length} floats; {n} rows of {k} need {(long)n * k}", nameof(b));
        int bits = ChosenWidth(n);
        if (bits == 0) return new PackedWeights(b.Slice(0, n * k).ToArray(), k, n, 0);
        int count = bits / 32;
        int width = MaxPanelVectors(count) * count, kBlock = Math.Min(Math.Max(k, 1), KBlock);
        // Panels in Run's order (column panels, then K blocks); a last, narrower panel has as many vectors as its columns need.
        long total = 0;
        for (int j0 = 0; j0 < n; j0 += width)
            total += (long)k * PanelWidth(Math.Min(width, n - j0), count);
        var panels = new float[total];
        ref float pb = ref MemoryMarshal.GetReference(b);
        int offset = 0;
        for (int j0 = 0; j0 < n; j0 += width)
        {
            int columns = Math.Min(width, n - j0);
            int panelWidth = PanelWidth(columns, count);
            for (int k0 = 0; k0 < k; k0 += kBlock)
            {
                int kc = Math.Min(kBlock, k - k0);
                PackPanel(ref Unsafe.Add(ref pb, (nint)j0 * k + k0), k, columns, kc, panelWidth, panels.AsSpan(offset, kc * panelWidth));
                offset += kc * panelWidth;
            }
        }
        return new PackedWeights(panels, k, n, bits);
    }

    /// <summary>Constant weights packed by <see cref="Pack"/>: panels in the order <c>Multiply</c> reads them, and the vector width they are for.</summary>
    public sealed class PackedWeights
    {
        internal PackedWeights(float[] panels, int k, int n, int bits)
        {
            Panels = panels;
            K = k;
            N = n;
            Bits = bits;
        }

        /// <summary>The panels (for the scalar path: B itself).</summary>
        internal float[] Panels { get; }
        /// <summary>Values per weight row (K).</summary>
        public int K { get; }
        /// <summary>Weight rows: the product's columns (N).</summary>
        public int N { get; }
        /// <summary>512, 256 or 128: the vector width; 0: no vector hardware (the scalar specification).</summary>
        internal int Bits { get; }
    }

    /// <summary>
    /// <see cref="Multiply(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, bool)"/>
    /// with B packed once by <see cref="Pack"/>: the same tiles, each output's products in the same order, so the same bits.
    /// </summary>
    [SkipLocalsInit]
    public static void Multiply(ReadOnlySpan<float> a, int lda, int rows, PackedWeights b,
                                ReadOnlySpan<float> bias, float low, float high, Span<float> c, int ldc, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(b);
        int k = b.K, n = b.N;
        if (b.Bits == 0)
        {
            CheckArguments(a, lda, rows, b.Panels, k, n, bias, c, ldc, accumulate);
            MultiplyScalarUnchecked(a, lda, rows, b.Panels, k, n, bias, low, high, c, ldc, accumulate);
            return;
        }
        CheckArguments(a, lda, rows, ReadOnlySpan<float>.Empty, 0, n, bias, c, ldc, accumulate, k);
        if (rows == 0 || n == 0) return;
        switch (b.Bits)
        {
            case 512: Run<V512, Vector512<float>>(a, lda, rows, default, k, n, bias, low, high, c, ldc, accumulate, b.Panels); break;
            case 256: Run<V256, Vector256<float>>(a, lda, rows, default, k, n, bias, low, high, c, ldc, accumulate, b.Panels); break;
            default: Run<V128, Vector128<float>>(a, lda, rows, default, k, n, bias, low, high, c, ldc, accumulate, b.Panels); break;
        }
    }

    /// <summary>The vector width (bits) <see cref="Multiply(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, bool)"/> uses for <paramref name="n"/> columns; 0 for the scalar path.</summary>
    private static int ChosenWidth(int n) =>
        Vector512.IsHardwareAccelerated && (n > Vector256<float>.Count || !Vector256.IsHardwareAccelerated) ? 512
        : Vector256.IsHardwareAccelerated ? 256
        : Vector128.IsHardwareAccelerated ? 128
        : 0;

    /// <summary>
    /// <see cref="Multiply(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, bool)"/> on a chosen path (512, 256, 128: that vector width; 0: the scalar specification), for
    /// tests that compare every path on one machine. A width the machine does not accelerate still runs (slowly).
    /// </summary>
    [SkipLocalsInit]
    internal static void MultiplyWithWidth(int bits, ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                           ReadOnlySpan<float> bias, float low, float high, Span<float> c, int ldc, bool accumulate)
    {
        CheckArguments(a, lda, rows, b, k, n, bias, c, ldc, accumulate);
        if (rows == 0 || n == 0) return;
        switch (bits)
        {
            case 512: Run<V512, Vector512<float>>(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate); break;
            case 256: Run<V256, Vector256<float>>(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate); break;
            case 128: Run<V128, Vector128<float>>(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate); break;
            default: MultiplyScalarUnchecked(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate); break;
        }
    }

    /// <summary>The specification of <see cref="Multiply(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, bool)"/>: one fused multiply-add per product, in index order.</summary>
    public static void MultiplyScalar(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                      ReadOnlySpan<float> bias, float low, float high, Span<float> c, int ldc, bool accumulate)
    {
        CheckArguments(a, lda, rows, b, k, n, bias, c, ldc, accumulate);
        MultiplyScalarUnchecked(a, lda, rows, b, k, n, bias, low, high, c, ldc, accumulate);
    }

    private static void MultiplyScalarUnchecked(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                                ReadOnlySpan<float> bias, float low, float high, Span<float> c, int ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = !bias.IsEmpty ? bias[j] : accumulate ? c[r * ldc + j] : 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(a[r * lda + p], b[j * k + p], sum);
                c[r * ldc + j] = Clamp(sum, low, high);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Clamp(float x, float low, float high)
    {
        if (x < low) x = low;
        if (x > high) x = high;
        return x;
    }

    private static void CheckArguments(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                       ReadOnlySpan<float> bias, Span<float> c, int ldc, bool accumulate, int packedK = -1)
    {
        // Packed weights: B was checked when it was packed; A and C are checked against its K.
        if (packedK >= 0) k = packedK;
        if (rows < 0 || n < 0 || k < 0 || lda < k || ldc < n)
            throw new ArgumentException($"FloatPanelGemm: invalid sizes rows={rows}, n={n}, k={k}, lda={lda}, ldc={ldc}");
        if (!bias.IsEmpty && accumulate)
            throw new ArgumentException("FloatPanelGemm: an output starts at the bias or at C (accumulate), not both", nameof(bias));
        if (!bias.IsEmpty && bias.Length < n)
            throw new ArgumentException($"FloatPanelGemm: bias holds {bias.Length} floats; {n} columns need {n}", nameof(bias));
        if (rows == 0 || n == 0) return;
        if ((long)(rows - 1) * lda + k > a.Length)
            throw new ArgumentException($"FloatPanelGemm: A holds {a.Length} floats; {rows} rows of {k} with stride {lda} need {(long)(rows - 1) * lda + k}", nameof(a));
        if (packedK < 0 && (long)n * k > b.Length)
            throw new ArgumentException($"FloatPanelGemm: B holds {b.Length} floats; {n} rows of {k} need {(long)n * k}", nameof(b));
        if ((long)(rows - 1) * ldc + n > c.Length)
            throw new ArgumentException($"FloatPanelGemm: C holds {c.Length} floats; {rows} rows of {n} with stride {ldc} need {(long)(rows - 1) * ldc + n}", nameof(c));
    }

    /// <summary>
    /// Column panels of up to <see cref="MaxPanelVectors"/> vectors outer, K blocks, then row tiles: the packed panel
    /// (≤ 128 KB) stays in L2 while A's rows stream past it; C's tile is read (when resuming or accumulating) and
    /// written once per K block.
    /// </summary>
    [SkipLocalsInit]
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TSimd, TVec>(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                         ReadOnlySpan<float> bias, float low, float high, Span<float> c, int ldc, bool accumulate,
                                         float[]? packed = null)
        where TSimd : struct, ISimd<TVec>
        where TVec : struct
    {
        int packedOffset = 0;
        int count = TSimd.Count;
        int width = MaxPanelVectors(count) * count;
        int kBlock = Math.Min(Math.Max(k, 1), packed != null ? KBlock : PerCallPanelFloats / width);
        // Only B packed per call needs a panel buffer.
        Span<float> panel = packed == null ? stackalloc float[PerCallPanelFloats] : default;
        Span<float> panelBias = stackalloc float[MaxPanelColumns];
        // Edge tiles (the last columns do not fill whole vectors) run on this buffer, then copy their valid columns:
        // 6 rows of up to 64 columns, or 12 rows (NarrowTile) of one vector.
        Span<float> edge = stackalloc float[Math.Max(TileRows * MaxPanelColumns, NarrowTileRows * Vector512<float>.Count)];
        bool clamp = !(float.IsNegativeInfinity(low) && float.IsPositiveInfinity(high));
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float pc = ref MemoryMarshal.GetReference(c);
        ref float pPanel = ref MemoryMarshal.GetReference(panel);

        for (int j0 = 0; j0 < n; j0 += width)
        {
            int columns = Math.Min(width, n - j0);
            // A last, narrower panel runs tiles of as many vectors as its columns need (no work on whole padding vectors).
            int panelWidth = PanelWidth(columns, count);
            int vectors = panelWidth / count;
            if (!bias.IsEmpty)
            {
                panelBias.Clear();
                bias.Slice(j0, columns).CopyTo(panelBias);
            }
            for (int k0 = 0; k0 < k || k0 == 0; k0 += kBlock)
            {
                int kc = Math.Min(kBlock, k - k0);
                // Constant weights packed once (Pack): this block's panel is the next one in the array.
                if (packed != null)
                {
                    if (kc > 0) pPanel = ref packed[packedOffset];
                    packedOffset += kc * panelWidth;
                }
                else PackPanel(ref Unsafe.Add(ref pb, (nint)j0 * k + k0), k, columns, kc, panelWidth, panel);
                bool first = k0 == 0, last = k0 + kc >= k;
                // What the tile starts from: the bias or nothing (first block, not accumulating), else C.
                int init = !first || accumulate ? InitFromC : bias.IsEmpty ? InitZero : InitBias;
                var epilogue = new Epilogue(clamp && last, low, high);
                ref float aBlock = ref Unsafe.Add(ref pa, k0);
                int tileRows;
                for (int r0 = 0; r0 < rows; r0 += tileRows)
                {
                    // One-vector panels take 12-row tiles while 12 rows are left (NarrowTile), the rest 6-row ones.
                    tileRows = vectors == 1 && rows - r0 >= NarrowTileRows ? NarrowTileRows : NextTileRows(rows - r0);
                    ref float aTile = ref Unsafe.Add(ref aBlock, (nint)r0 * lda);
                    ref float cTile = ref Unsafe.Add(ref pc, (nint)r0 * ldc + j0);
                    bool edgeTile = columns != panelWidth;
                    if (edgeTile && init == InitFromC)
                        for (int i = 0; i < tileRows; i++)
                            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref cTile, (nint)i * ldc), columns).CopyTo(edge.Slice(i * panelWidth));
                    ref float cOut = ref edgeTile ? ref MemoryMarshal.GetReference(edge) : ref cTile;
                    int ldOut = edgeTile ? panelWidth : ldc;
                    if (tileRows == NarrowTileRows) NarrowTile<TSimd, TVec>(ref aTile, lda, ref pPanel, kc, ref cOut, ldOut, init, panelBias, epilogue);
                    else Tile<TSimd, TVec>(tileRows, vectors, ref aTile, lda, ref pPanel, kc, ref cOut, ldOut, init, panelBias, epilogue);
                    if (edgeTile)
                        for (int i = 0; i < tileRows; i++)
                            edge.Slice(i * panelWidth, columns).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref cTile, (nint)i * ldc), columns));
                }
                if (k == 0) break;
            }
        }
    }

    /// <summary>
    /// Rows of the next register tile when <paramref name="left"/> rows are left: <see cref="TileRows"/>, except that
    /// 7 or 8 rows run as 4 + 3 or 4 + 4 instead of 6 + 1 or 6 + 2: a tile of one or two rows has too few independent
    /// accumulator chains to hide the multiply-add latency. Measured alternating in one process (Vector512, packed
    /// weights, K = 512, N = 1000): 7 rows 37.4 vs 42.4 µs, 13 rows 63.9 vs 71.0 µs, 8 rows 40.6 vs 40.3 µs (even),
    /// 169 rows 800 vs 807 µs.
    /// </summary>
    private static int NextTileRows(int left) =>
        left > TileRows && left < TileRows + 3 ? (left + 1) / 2 : Math.Min(TileRows, left);

    private const int InitZero = 0, InitBias = 1, InitFromC = 2;

    /// <summary>
    /// panel[p·width + jj] = B[jj, p] for the <paramref name="columns"/> rows of B from <paramref name="b"/> (row stride
    /// <paramref name="k"/>), K range of <paramref name="kc"/>; columns past the end are zero (their outputs are discarded).
    /// </summary>
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPanel(ref float b, int k, int columns, int kc, int width, Span<float> panel)
    {
        ref float dst = ref MemoryMarshal.GetReference(panel);
        if (columns < width) panel.Slice(0, kc * width).Clear();
        int jj = 0;
        if (Sse.IsSupported)
        {
            // Four rows of B at a time, transposed four by four in registers: a quarter of the loads and stores of
            // the element-by-element copy (which is what a panel costs when A has few rows).
            for (; jj + 4 <= columns; jj += 4)
            {
                ref float r0 = ref Unsafe.Add(ref b, (nint)jj * k);
                ref float r1 = ref Unsafe.Add(ref r0, k);
                ref float r2 = ref Unsafe.Add(ref r1, k);
                ref float r3 = ref Unsafe.Add(ref r2, k);
                ref float column = ref Unsafe.Add(ref dst, jj);
                int p = 0;
                for (; p + 4 <= kc; p += 4)
                {
                    var v0 = Vector128.LoadUnsafe(ref r0, (nuint)p);
                    var v1 = Vector128.LoadUnsafe(ref r1, (nuint)p);
                    var v2 = Vector128.LoadUnsafe(ref r2, (nuint)p);
                    var v3 = Vector128.LoadUnsafe(ref r3, (nuint)p);
                    var t0 = Sse.UnpackLow(v0, v1);  // v0[0] v1[0] v0[1] v1[1]
                    var t1 = Sse.UnpackHigh(v0, v1); // v0[2] v1[2] v0[3] v1[3]
                    var t2 = Sse.UnpackLow(v2, v3);
                    var t3 = Sse.UnpackHigh(v2, v3);
                    ref float row = ref Unsafe.Add(ref column, (nint)p * width);
                    Sse.MoveLowToHigh(t0, t2).StoreUnsafe(ref row);
                    Sse.MoveHighToLow(t2, t0).StoreUnsafe(ref row, (nuint)width);
                    Sse.MoveLowToHigh(t1, t3).StoreUnsafe(ref row, (nuint)(2 * width));
                    Sse.MoveHighToLow(t3, t1).StoreUnsafe(ref row, (nuint)(3 * width));
                }
                for (; p < kc; p++)
                {
                    ref float row = ref Unsafe.Add(ref column, (nint)p * width);
                    row = Unsafe.Add(ref r0, p);
                    Unsafe.Add(ref row, 1) = Unsafe.Add(ref r1, p);
                    Unsafe.Add(ref row, 2) = Unsafe.Add(ref r2, p);
                    Unsafe.Add(ref row, 3) = Unsafe.Add(ref r3, p);
                }
            }
        }
        for (; jj < columns; jj++)
        {
            ref float row = ref Unsafe.Add(ref b, (nint)jj * k);
            ref float column = ref Unsafe.Add(ref dst, jj);
            for (int p = 0; p < kc; p++) Unsafe.Add(ref column, (nint)p * width) = Unsafe.Add(ref row, p);
        }
    }

    private readonly struct Epilogue(bool clamp, float low, float high)
    {
        public readonly bool Clamp = clamp;
        public readonly float Low = low, High = high;
    }

    /// <summary>
    /// Dispatches a row count (1–6) and a panel of one to four vectors to its specialized tile (both are types, so
    /// the JIT unrolls each combination on its own).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TSimd, TVec>(int tileRows, int vectors, ref float a, int lda, ref float panel, int kc, ref float c, int ldc,
                                          int init, ReadOnlySpan<float> bias, Epilogue epilogue)
        where TSimd : struct, ISimd<TVec>
        where TVec : struct
    {
        switch (vectors)
        {
            case 4: Tile<TSimd, TVec, C4>(tileRows, ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
            case 3: Tile<TSimd, TVec, C3>(tileRows, ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
            case 2: Tile<TSimd, TVec, C2>(tileRows, ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
            default: Tile<TSimd, TVec, C1>(tileRows, ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TSimd, TVec, TCols>(int tileRows, ref float a, int lda, ref float panel, int kc, ref float c, int ldc,
                                                 int init, ReadOnlySpan<float> bias, Epilogue epilogue)
        where TSimd : struct, ISimd<TVec>
        where TVec : struct
        where TCols : struct, IRowCount
    {
        switch (tileRows)
        {
            case 6: Tile<TSimd, TVec, R6, TCols>(ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
            case 5: Tile<TSimd, TVec, R5, TCols>(ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
            case 4: Tile<TSimd, TVec, R4, TCols>(ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
            case 3: Tile<TSimd, TVec, R3, TCols>(ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
            case 2: Tile<TSimd, TVec, R2, TCols>(ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
            default: Tile<TSimd, TVec, R1, TCols>(ref a, lda, ref panel, kc, ref c, ldc, init, bias, epilogue); break;
        }
    }

    /// <summary>
    /// TRows rows × TCols (1–4) vectors of columns: for each p, load the panel's vectors of B[·, p], broadcast
    /// A[i, p] of each row, one FMA per row and vector. Rows and vectors beyond TRows and TCols are compiled away
    /// (their code is written out, guarded by JIT-time constants).
    /// </summary>
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TSimd, TVec, TRows, TCols>(ref float a0, int lda, ref float panel, int kc, ref float c0, int ldc,
                                                        int init, ReadOnlySpan<float> bias, Epilogue epilogue)
        where TSimd : struct, ISimd<TVec>
        where TVec : struct
        where TRows : struct, IRowCount
        where TCols : struct, IRowCount
    {
        int count = TSimd.Count;
        int rowCount = TRows.Value;
        int cols = TCols.Value;
        ref float a1 = ref rowCount > 1 ? ref Unsafe.Add(ref a0, lda) : ref a0;
        ref float a2 = ref rowCount > 2 ? ref Unsafe.Add(ref a1, lda) : ref a0;
        ref float a3 = ref rowCount > 3 ? ref Unsafe.Add(ref a2, lda) : ref a0;
        ref float a4 = ref rowCount > 4 ? ref Unsafe.Add(ref a3, lda) : ref a0;
        ref float a5 = ref rowCount > 5 ? ref Unsafe.Add(ref a4, lda) : ref a0;
        ref float c1 = ref rowCount > 1 ? ref Unsafe.Add(ref c0, ldc) : ref c0;
        ref float c2 = ref rowCount > 2 ? ref Unsafe.Add(ref c1, ldc) : ref c0;
        ref float c3 = ref rowCount > 3 ? ref Unsafe.Add(ref c2, ldc) : ref c0;
        ref float c4 = ref rowCount > 4 ? ref Unsafe.Add(ref c3, ldc) : ref c0;
        ref float c5 = ref rowCount > 5 ? ref Unsafe.Add(ref c4, ldc) : ref c0;

        // s<row><vector>
        TVec s00, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        TVec s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        TVec s40 = default, s41 = default, s42 = default, s43 = default, s50 = default, s51 = default, s52 = default, s53 = default;
        if (init == InitFromC)
        {
            s00 = TSimd.Load(ref c0, 0); if (cols > 1) s01 = TSimd.Load(ref c0, count); if (cols > 2) s02 = TSimd.Load(ref c0, 2 * count); if (cols > 3) s03 = TSimd.Load(ref c0, 3 * count);
            if (rowCount > 1) { s10 = TSimd.Load(ref c1, 0); if (cols > 1) s11 = TSimd.Load(ref c1, count); if (cols > 2) s12 = TSimd.Load(ref c1, 2 * count); if (cols > 3) s13 = TSimd.Load(ref c1, 3 * count); }
            if (rowCount > 2) { s20 = TSimd.Load(ref c2, 0); if (cols > 1) s21 = TSimd.Load(ref c2, count); if (cols > 2) s22 = TSimd.Load(ref c2, 2 * count); if (cols > 3) s23 = TSimd.Load(ref c2, 3 * count); }
            if (rowCount > 3) { s30 = TSimd.Load(ref c3, 0); if (cols > 1) s31 = TSimd.Load(ref c3, count); if (cols > 2) s32 = TSimd.Load(ref c3, 2 * count); if (cols > 3) s33 = TSimd.Load(ref c3, 3 * count); }
            if (rowCount > 4) { s40 = TSimd.Load(ref c4, 0); if (cols > 1) s41 = TSimd.Load(ref c4, count); if (cols > 2) s42 = TSimd.Load(ref c4, 2 * count); if (cols > 3) s43 = TSimd.Load(ref c4, 3 * count); }
            if (rowCount > 5) { s50 = TSimd.Load(ref c5, 0); if (cols > 1) s51 = TSimd.Load(ref c5, count); if (cols > 2) s52 = TSimd.Load(ref c5, 2 * count); if (cols > 3) s53 = TSimd.Load(ref c5, 3 * count); }
        }
        else
        {
            ref float pBias = ref MemoryMarshal.GetReference(bias);
            // Zero or the bias: the same start for every row.
            bool fromBias = init == InitBias;
            s00 = fromBias ? TSimd.Load(ref pBias, 0) : TSimd.Zero;
            if (cols > 1) s01 = fromBias ? TSimd.Load(ref pBias, count) : TSimd.Zero;
            if (cols > 2) s02 = fromBias ? TSimd.Load(ref pBias, 2 * count) : TSimd.Zero;
            if (cols > 3) s03 = fromBias ? TSimd.Load(ref pBias, 3 * count) : TSimd.Zero;
            if (rowCount > 1) { s10 = s00; s11 = s01; s12 = s02; s13 = s03; }
            if (rowCount > 2) { s20 = s00; s21 = s01; s22 = s02; s23 = s03; }
            if (rowCount > 3) { s30 = s00; s31 = s01; s32 = s02; s33 = s03; }
            if (rowCount > 4) { s40 = s00; s41 = s01; s42 = s02; s43 = s03; }
            if (rowCount > 5) { s50 = s00; s51 = s01; s52 = s02; s53 = s03; }
        }

        ref float w = ref panel;
        for (int p = 0; p < kc; p++)
        {
            TVec w0 = TSimd.Load(ref w, 0);
            TVec w1 = cols > 1 ? TSimd.Load(ref w, count) : w0;
            TVec w2 = cols > 2 ? TSimd.Load(ref w, 2 * count) : w0;
            TVec w3 = cols > 3 ? TSimd.Load(ref w, 3 * count) : w0;
            w = ref Unsafe.Add(ref w, cols * count);
            TVec x = TSimd.Broadcast(Unsafe.Add(ref a0, p));
            s00 = TSimd.Fma(x, w0, s00); if (cols > 1) s01 = TSimd.Fma(x, w1, s01); if (cols > 2) s02 = TSimd.Fma(x, w2, s02); if (cols > 3) s03 = TSimd.Fma(x, w3, s03);
            if (rowCount > 1) { x = TSimd.Broadcast(Unsafe.Add(ref a1, p)); s10 = TSimd.Fma(x, w0, s10); if (cols > 1) s11 = TSimd.Fma(x, w1, s11); if (cols > 2) s12 = TSimd.Fma(x, w2, s12); if (cols > 3) s13 = TSimd.Fma(x, w3, s13); }
            if (rowCount > 2) { x = TSimd.Broadcast(Unsafe.Add(ref a2, p)); s20 = TSimd.Fma(x, w0, s20); if (cols > 1) s21 = TSimd.Fma(x, w1, s21); if (cols > 2) s22 = TSimd.Fma(x, w2, s22); if (cols > 3) s23 = TSimd.Fma(x, w3, s23); }
            if (rowCount > 3) { x = TSimd.Broadcast(Unsafe.Add(ref a3, p)); s30 = TSimd.Fma(x, w0, s30); if (cols > 1) s31 = TSimd.Fma(x, w1, s31); if (cols > 2) s32 = TSimd.Fma(x, w2, s32); if (cols > 3) s33 = TSimd.Fma(x, w3, s33); }
            if (rowCount > 4) { x = TSimd.Broadcast(Unsafe.Add(ref a4, p)); s40 = TSimd.Fma(x, w0, s40); if (cols > 1) s41 = TSimd.Fma(x, w1, s41); if (cols > 2) s42 = TSimd.Fma(x, w2, s42); if (cols > 3) s43 = TSimd.Fma(x, w3, s43); }
            if (rowCount > 5) { x = TSimd.Broadcast(Unsafe.Add(ref a5, p)); s50 = TSimd.Fma(x, w0, s50); if (cols > 1) s51 = TSimd.Fma(x, w1, s51); if (cols > 2) s52 = TSimd.Fma(x, w2, s52); if (cols > 3) s53 = TSimd.Fma(x, w3, s53); }
        }

        if (epilogue.Clamp)
        {
            TVec low = TSimd.Broadcast(epilogue.Low), high = TSimd.Broadcast(epilogue.High);
            s00 = TSimd.Clamp(s00, low, high); if (cols > 1) s01 = TSimd.Clamp(s01, low, high); if (cols > 2) s02 = TSimd.Clamp(s02, low, high); if (cols > 3) s03 = TSimd.Clamp(s03, low, high);
            if (rowCount > 1) { s10 = TSimd.Clamp(s10, low, high); if (cols > 1) s11 = TSimd.Clamp(s11, low, high); if (cols > 2) s12 = TSimd.Clamp(s12, low, high); if (cols > 3) s13 = TSimd.Clamp(s13, low, high); }
            if (rowCount > 2) { s20 = TSimd.Clamp(s20, low, high); if (cols > 1) s21 = TSimd.Clamp(s21, low, high); if (cols > 2) s22 = TSimd.Clamp(s22, low, high); if (cols > 3) s23 = TSimd.Clamp(s23, low, high); }
            if (rowCount > 3) { s30 = TSimd.Clamp(s30, low, high); if (cols > 1) s31 = TSimd.Clamp(s31, low, high); if (cols > 2) s32 = TSimd.Clamp(s32, low, high); if (cols > 3) s33 = TSimd.Clamp(s33, low, high); }
            if (rowCount > 4) { s40 = TSimd.Clamp(s40, low, high); if (cols > 1) s41 = TSimd.Clamp(s41, low, high); if (cols > 2) s42 = TSimd.Clamp(s42, low, high); if (cols > 3) s43 = TSimd.Clamp(s43, low, high); }
            if (rowCount > 5) { s50 = TSimd.Clamp(s50, low, high); if (cols > 1) s51 = TSimd.Clamp(s51, low, high); if (cols > 2) s52 = TSimd.Clamp(s52, low, high); if (cols > 3) s53 = TSimd.Clamp(s53, low, high); }
        }
        TSimd.Store(s00, ref c0, 0); if (cols > 1) TSimd.Store(s01, ref c0, count); if (cols > 2) TSimd.Store(s02, ref c0, 2 * count); if (cols > 3) TSimd.Store(s03, ref c0, 3 * count);
        if (rowCount > 1) { TSimd.Store(s10, ref c1, 0); if (cols > 1) TSimd.Store(s11, ref c1, count); if (cols > 2) TSimd.Store(s12, ref c1, 2 * count); if (cols > 3) TSimd.Store(s13, ref c1, 3 * count); }
        if (rowCount > 2) { TSimd.Store(s20, ref c2, 0); if (cols > 1) TSimd.Store(s21, ref c2, count); if (cols > 2) TSimd.Store(s22, ref c2, 2 * count); if (cols > 3) TSimd.Store(s23, ref c2, 3 * count); }
        if (rowCount > 3) { TSimd.Store(s30, ref c3, 0); if (cols > 1) TSimd.Store(s31, ref c3, count); if (cols > 2) TSimd.Store(s32, ref c3, 2 * count); if (cols > 3) TSimd.Store(s33, ref c3, 3 * count); }
        if (rowCount > 4) { TSimd.Store(s40, ref c4, 0); if (cols > 1) TSimd.Store(s41, ref c4, count); if (cols > 2) TSimd.Store(s42, ref c4, 2 * count); if (cols > 3) TSimd.Store(s43, ref c4, 3 * count); }
        if (rowCount > 5) { TSimd.Store(s50, ref c5, 0); if (cols > 1) TSimd.Store(s51, ref c5, count); if (cols > 2) TSimd.Store(s52, ref c5, 2 * count); if (cols > 3) TSimd.Store(s53, ref c5, 3 * count); }
    }

    /// <summary>A compile-time row (or vector) count: a struct type parameter, so each tile size gets its own unrolled code.</summary>
    internal interface IRowCount { static abstract int Value { get; } }
    internal readonly struct R1 : IRowCount { public static int Value => 1; }
    internal readonly struct R2 : IRowCount { public static int Value => 2; }
    internal readonly struct R3 : IRowCount { public static int Value => 3; }
    internal readonly struct R4 : IRowCount { public static int Value => 4; }
    internal readonly struct R5 : IRowCount { public static int Value => 5; }
    internal readonly struct R6 : IRowCount { public static int Value => 6; }
    internal readonly struct C1 : IRowCount { public static int Value => 1; }
    internal readonly struct C2 : IRowCount { public static int Value => 2; }
    internal readonly struct C3 : IRowCount { public static int Value => 3; }
    internal readonly struct C4 : IRowCount { public static int Value => 4; }

    /// <summary>One vector width's operations, so that one tile body serves Vector512, Vector256 and Vector128.</summary>
    internal interface ISimd<TVec> where TVec : struct
    {
        static abstract int Count { get; }
        static abstract TVec Zero { get; }
        static abstract TVec Load(ref float source, int offset);
        static abstract void Store(TVec value, ref float destination, int offset);
        static abstract TVec Broadcast(float value);
        static abstract TVec Fma(TVec x, TVec y, TVec addend);
        /// <summary>Lane-wise FloatPanelGemm.Clamp: the same comparisons, so the same bits (NaN passes).</summary>
        static abstract TVec Clamp(TVec x, TVec low, TVec high);
    }

    internal readonly struct V512 : ISimd<Vector512<float>>
    {
        public static int Count => Vector512<float>.Count;
        public static Vector512<float> Zero => Vector512<float>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(ref float source, int offset) => Vector512.LoadUnsafe(ref source, (nuint)offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<float> value, ref float destination, int offset) => value.StoreUnsafe(ref destination, (nuint)offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Fma(Vector512<float> x, Vector512<float> y, Vector512<float> addend) => Vector512.FusedMultiplyAdd(x, y, addend);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Clamp(Vector512<float> x, Vector512<float> low, Vector512<float> high)
        {
            // x86 max(a, b) is defined as a > b ? a : b and min(a, b) as a < b ? a : b (the second operand when
            // the compare is false, NaN included): with the bound first these are the two comparisons below, bit for
            // bit, in two instructions instead of two compares and two blends.
            if (Avx512F.IsSupported) return Avx512F.Min(high, Avx512F.Max(low, x));
            x = Vector512.ConditionalSelect(Vector512.LessThan(x, low), low, x);
            return Vector512.ConditionalSelect(Vector512.GreaterThan(x, high), high, x);
        }
    }

    internal readonly struct V256 : ISimd<Vector256<float>>
    {
        public static int Count => Vector256<float>.Count;
        public static Vector256<float> Zero => Vector256<float>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(ref float source, int offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<float> value, ref float destination, int offset) => value.StoreUnsafe(ref destination, (nuint)offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Fma(Vector256<float> x, Vector256<float> y, Vector256<float> addend) => Vector256.FusedMultiplyAdd(x, y, addend);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Clamp(Vector256<float> x, Vector256<float> low, Vector256<float> high)
        {
            // x86 max(a, b) is defined as a > b ? a : b and min(a, b) as a < b ? a : b (the second operand when
            // the compare is false, NaN included): with the bound first these are the two comparisons below, bit for
            // bit, in two instructions instead of two compares and two blends.
            if (Avx.IsSupported) return Avx.Min(high, Avx.Max(low, x));
            x = Vector256.ConditionalSelect(Vector256.LessThan(x, low), low, x);
            return Vector256.ConditionalSelect(Vector256.GreaterThan(x, high), high, x);
        }
    }

    internal readonly struct V128 : ISimd<Vector128<float>>
    {
        public static int Count => Vector128<float>.Count;
        public static Vector128<float> Zero => Vector128<float>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Load(ref float source, int offset) => Vector128.LoadUnsafe(ref source, (nuint)offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<float> value, ref float destination, int offset) => value.StoreUnsafe(ref destination, (nuint)offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Fma(Vector128<float> x, Vector128<float> y, Vector128<float> addend) => Vector128.FusedMultiplyAdd(x, y, addend);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Clamp(Vector128<float> x, Vector128<float> low, Vector128<float> high)
        {
            // x86 max(a, b) is defined as a > b ? a : b and min(a, b) as a < b ? a : b (the second operand when
            // the compare is false, NaN included): with the bound first these are the two comparisons below, bit for
            // bit, in two instructions instead of two compares and two blends.
            if (Sse.IsSupported) return Sse.Min(high, Sse.Max(low, x));
            x = Vector128.ConditionalSelect(Vector128.LessThan(x, low), low, x);
            return Vector128.ConditionalSelect(Vector128.GreaterThan(x, high), high, x);
        }
    }
}
