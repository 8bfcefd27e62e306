using System;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// The blocked form of QGemm and QMatMul with a constant weight matrix packed NK (int8): the A rows (row-major, row
    /// stride K) go through <c>Int8Gemm</c> against panels of weight rows, exactly as <see cref="QConvEmitter"/> drives
    /// it for pointwise convolutions (same <see cref="QConvEmitter.GemmBlocking"/> and <see cref="QConvEmitter.GemmUnits"/>),
    /// and each block of products is requantized by <c>RequantizeRow</c> — or element by element when a per-row term
    /// (a weight zero point times the row's sum) has to be added. Writes into variables the caller declared:
    /// <c>a</c> (A, 8-bit), <c>w</c> (ReadOnlySpan&lt;sbyte&gt;, [N][K]), <c>y</c> (8-bit, row stride N) and the per-channel
    /// requantization constants (<see cref="Int8Requantization.DeclareConstants"/>).
    /// </summary>
    internal sealed class QMatrixGemm
    {
        /// <summary>Rows of A (and of Y).</summary>
        public int Rows;
        /// <summary>K: values per A row and per weight row.</summary>
        public int Depth;
        /// <summary>N: weight rows, output values per row.</summary>
        public int Columns;
        /// <summary>"int8" or "uint8".</summary>
        public string ActivationType = "int8";
        public Int8Requantization Requantization = null!;
        /// <summary>A constant int32 span of N values added to every row (the plan's bias), or null.</summary>
        public string? BiasSpan;
        /// <summary>
        /// An int32 expression of the column variable computed at run time, once per packed panel, instead of
        /// <see cref="BiasSpan"/> (a bias fold that needs the weights' sums); null for none.
        /// </summary>
        public Func<string, string>? ColumnTerm;
        /// <summary>The weight zero point of a column variable when it is not 0 (the per-row term −w_zp·Σ a), else null.</summary>
        public Func<string, string>? WeightZeroPoint;
        public QConvEmitter.GemmBlocking Blocking = null!;
        /// <summary>The op's context (where the weight panels can be prepared once, see <see cref="GemmPanels"/>).</summary>
        public OpEmitContext Context = null!;
        /// <summary>The weight matrix as a span expression of the class (not the op body's <c>w</c>), for the constructor.</summary>
        public string Weights = null!;

        /// <summary>
        /// The blocking when the kernel applies (int8 weights, a weight panel and the column buffer within the stack
        /// budgets), else null; blocks of rows no longer than the matrix (a one-row product zeroes one row of scratch).
        /// </summary>
        public static QConvEmitter.GemmBlocking? Blocked(int rows, int depth, int columns, string weightType, bool needsColumnBuffer)
        {
            if (rows < 1 || (needsColumnBuffer && (long)columns * 4 > QConvEmitter.MaxStackBytes)) return null;
            if (!(QConvEmitter.GemmBlocking.For(1, depth, columns, weightType) is { } blocking)) return null;
            blocking.Rows = Math.Min(blocking.Rows, rows);
            return blocking;
        }

        /// <summary>Multiply-accumulates of the product; ops with at least <see cref="QConvEmitter.ParallelMacs"/> split into units.</summary>
        public long Macs => (long)Rows * Columns * Depth;

        public QConvEmitter.GemmUnits Units() => QConvEmitter.GemmUnits.For(Rows, Columns, Blocking);

        /// <summary>
        /// Writes the products and their requantization; with <paramref name="units"/>, the body of the op's units method
        /// (variables <c>first</c>, <c>end</c>): unit u is weight panel u / Groups over row group u % Groups.
        /// </summary>
        public void Write(CodeWriter code, QConvEmitter.GemmUnits? units)
        {
            int np = Blocking.Channels, rows = Blocking.Rows, kp = Blocking.PaddedDepth;
            int k = Depth, n = Columns, total = Rows;
            string ta = OpEmitContext.ClrType(ActivationType);
            // Int8Gemm reads every row up to the padded depth: rows of a multiple of 4 values are read in place.
            bool direct = k % 4 == 0;
            code.Line($"// Blocked matrix product: weight rows packed {np} at a time for Int8Gemm (exact int8 dot products), A rows {rows} at a time;");
            code.Line("// the int32 products are requantized a block at a time.");
            if (WeightZeroPoint == null) Requantization.DeclareRowConstants(code);
            bool fused = WeightZeroPoint == null && Requantization.FusesIntoGemm;
            Action? columnBias = ColumnTerm == null ? null : () => code.Line($"for (int j = m0; j < m0 + channels; j++) columnBias[j] = {ColumnTerm("j")};");
            var panels = GemmPanels.Declare(Context, code, n, k, np, kp, ActivationType == "int8", Weights, columnBias);
            code.Line(fused
                ? "// Int8Gemm requantizes in registers; the int32 products go through this scratch only on CPUs without its fused form."
                : "// The int32 products of a block of rows, requantized a block at a time.");
            code.Line($"{Int8Code.Span}<int> products = stackalloc int[{rows * np}];");
            if (!direct)
            {
                code.Line($"// Rows of {k} values are copied to rows of {kp}, which Int8Gemm reads whole (the values past {k} meet zero weights).");
                code.Line($"{Int8Code.Span}<{ta}> rowBuffer = stackalloc {ta}[{rows * kp}];");
            }
            if (ColumnTerm != null) code.Line($"{Int8Code.Span}<int> columnBias = stackalloc int[{n}];");
            string channelCount = n % np == 0 ? $"const int channels = {np};" : $"int channels = global::System.Math.Min({np}, {n} - m0);";
            if (units == null)
            {
                code.Open($"for (int m0 = 0; m0 < {n}; m0 += {np})");
                code.Line(channelCount);
                panels.Select();
                code.Open($"for (int p0 = 0; p0 < {total}; p0 += {rows})");
            }
            else if (units.Groups == 1)
            {
                code.Line("// One unit per panel of weight rows, over every A row.");
                code.Open("for (int unit = first; unit < end; unit++)");
                code.Line($"int m0 = unit * {np};");
                code.Line(channelCount);
                panels.Select();
                code.Open($"for (int p0 = 0; p0 < {total}; p0 += {rows})");
            }
            else
            {
                int g = units.Groups, blocks = units.PixelBlocks;
                code.Line($"// Unit u: panel u / {g} of weight rows over row group u % {g} ({blocks} blocks of {rows} rows in {g} groups);");
                panels.DeclareSharing();
                code.Open("for (int unit = first; unit < end; unit++)");
                code.Line($"int m0 = unit / {g} * {np}, group = unit % {g};");
                code.Line(channelCount);
                panels.SelectShared();
                code.Line($"int rowEnd = global::System.Math.Min((group + 1) * {blocks} / {g} * {rows}, {total});");
                code.Open($"for (int p0 = group * {blocks} / {g} * {rows}; p0 < rowEnd; p0 += {rows})");
            }
            code.Line($"int count = global::System.Math.Min({rows}, {total} - p0);");
            string gemm = direct ? $"a.Slice(p0 * {k}, count * {k}), count, {k}, {k}, panel, channels" : $"rowBuffer, count, {kp}, {k}, panel, channels";
            if (!direct) code.Line($"for (int i = 0; i < count; i++) a.Slice((p0 + i) * {k}, {k}).CopyTo(rowBuffer.Slice(i * {kp}, {k}));");
            if (fused)
                code.Line(Requantization.FusedGemmCall(gemm, ColumnTerm != null ? "columnBias" : BiasSpan, "m0", "channels", $"y.Slice(p0 * {n} + m0)", Int8Code.Int(n), "products"));
            else WriteMultiplyThenRequantize(code, gemm);
            code.Close();
            code.Close();
        }

        /// <summary>The unfused form: int32 products into scratch, then requantized a block (or, with a weight zero point, an element) at a time.</summary>
        private void WriteMultiplyThenRequantize(CodeWriter code, string gemm)
        {
            int np = Blocking.Channels, k = Depth, n = Columns;
            code.Line($"{Int8Code.Runtime}Int8Gemm.Multiply({gemm}, products, {np});");
            if (WeightZeroPoint != null)
            {
                // The weight zero point adds a term per row and column: requantize element by element.
                code.Open("for (int i = 0; i < count; i++)");
                code.Line($"int rowSum = {Int8Code.Runtime}Int8Dot.Sum(a.Slice((p0 + i) * {k}, {k}));");
                code.Line($"var row = products.Slice(i * {np}, channels);");
                code.Line($"var output = y.Slice((p0 + i) * {n} + m0, channels);");
                code.Open("for (int j = 0; j < channels; j++)");
                code.Line("int m = m0 + j;");
                string bias = ColumnTerm != null ? "columnBias[m] + " : BiasSpan != null ? $"{BiasSpan}[m] + " : "";
                code.Line($"output[j] = {Requantization.Expression($"{bias}row[j] - {WeightZeroPoint("m")} * rowSum", "m")};");
                code.Close();
                code.Close();
            }
            else
            {
                string? bias = ColumnTerm != null ? "columnBias" : BiasSpan;
                code.Line(Requantization.BlockCall("products", Int8Code.Int(np), bias, "m0", "channels", $"y.Slice(p0 * {n} + m0)", Int8Code.Int(n), "count"));
            }
        }
    }
}
