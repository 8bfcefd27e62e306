using System;
using System.Collections.Generic;
using System.Linq;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// <c>octet.QAveragePool</c> (2-D, NHWC) and <c>octet.QGlobalAveragePool</c> (NHWC or rowmajor), bit-identical to
    /// the compiler's kernels: <c>acc = Σ (x − x_zero_point)</c> over the taps inside the input, then one rounded
    /// step dividing by the count and rescaling together (<c>Octet.Runtime.Int8.Average</c>). Channels-last means
    /// every channel of a pixel is summed at once (a widening SIMD add), and Σ (x − x_zp) = Σ x − taps · x_zp.
    /// </summary>
    public sealed class QPoolEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.QAveragePool", "octet.QGlobalAveragePool" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context) =>
            context.Op.OpType == "octet.QAveragePool" ? AveragePool(context) : GlobalAveragePool(context);

        private static Action<CodeWriter> AveragePool(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 1) throw new EmitException("expected one input X");
            var x = context.Input(0);
            var y = context.Output(0);
            Int8Code.ExpectEightBit(x, "input X");
            Int8Code.ExpectEightBit(y, "output Y");
            if (x.Shape.Count != 4) throw new EmitException($"input X {Int8Code.Describe(x)} must be rank 4: this kernel is 2-D");
            Int8Code.ExpectLayout(x, "input X", "NHWC");
            Int8Code.ExpectLayout(y, "output Y", "NHWC");
            int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
            long ceil = context.Int("ceil_mode", 0), countPadAttribute = context.Int("count_include_pad", 0);
            if (ceil != 0 && ceil != 1) throw new EmitException($"ceil_mode={ceil}; expected 0 or 1");
            if (countPadAttribute != 0 && countPadAttribute != 1) throw new EmitException($"count_include_pad={countPadAttribute}; expected 0 or 1");
            var window = Int8Window.Resolve(context, h, w, null, ceil == 1);
            Int8Code.ExpectShape(y, "output Y", new[] { n, c, window.Output[0], window.Output[1] });
            Int8Code.Count(x);
            Int8Code.Count(y);
            int zeroPoint = Int8Code.ZeroPoint(context, "x_zero_point", x.ElementType);
            var requantization = Int8Requantization.Read(context, 1, y);
            if ((long)c * 4 > QConvEmitter.MaxStackBytes) throw new EmitException($"{c} channels need a larger stack buffer than this kernel uses");
            bool countPadding = countPadAttribute == 1;
            var countH = window.TapCounts(0, countPadding);
            var countW = window.TapCounts(1, countPadding);
            var insideH = window.TapCounts(0, false);
            var insideW = window.TapCounts(1, false);
            if (countH.Contains(0) || countW.Contains(0))
                throw new EmitException("a window covers no input value (dilations or ceil_mode put every tap outside the input): its average is undefined");
            int oh = window.Output[0], ow = window.Output[1];

            return code =>
            {
                code.Open("unchecked");
                code.Line($"// QAveragePool: X {Int8Code.Describe(x)} (x_zero_point {zeroPoint}) -> Y {Int8Code.Describe(y)}; {window.Describe()},");
                code.Line($"// count_include_pad {countPadAttribute}, ceil_mode {ceil}; {requantization.Describe()}.");
                code.Line($"var x = {context.Span(x)};");
                code.Line($"var y = {context.Span(y)};");
                string count = PerAxis(code, "divisorH", countH, "oh", "divisorW", countW, "ow");
                // Without counted padding the divisor is the number of taps inside the input: one table serves both.
                bool sameCounts = countH.SequenceEqual(insideH) && countW.SequenceEqual(insideW);
                string inside = sameCounts ? "count" : PerAxis(code, "insideH", insideH, "oh", "insideW", insideW, "ow");
                code.Line($"{Int8Code.Span}<int> sums = stackalloc int[{c}];");
                code.Open($"for (int n = 0; n < {n}; n++)");
                code.Open($"for (int oh = 0; oh < {oh}; oh++)");
                code.Open($"for (int ow = 0; ow < {ow}; ow++)");
                code.Line("sums.Clear();");
                code.Open($"for (int kh = 0; kh < {window.Kernel[0]}; kh++)");
                code.Line($"int ih = {Affine("oh", window.Strides[0], window.PadBegin[0], "kh", window.Dilations[0])};");
                code.Line($"if ((uint)ih >= {h}u) continue;");
                code.Open($"for (int kw = 0; kw < {window.Kernel[1]}; kw++)");
                code.Line($"int iw = {Affine("ow", window.Strides[1], window.PadBegin[1], "kw", window.Dilations[1])};");
                code.Line($"if ((uint)iw >= {w}u) continue;");
                code.Line($"{Int8Code.Runtime}Accumulate.Add(sums, x.Slice(((n * {h} + ih) * {w} + iw) * {c}, {c}));");
                code.Close();
                code.Close();
                code.Line("// Σ (x − x_zp) over the taps inside the input; the divisor also counts padding when count_include_pad = 1.");
                code.Line($"int count = {count};");
                code.Line($"int zeroPointTerm = {inside} * {zeroPoint};");
                code.Line($"int pixel = (n * {oh} + oh) * {ow} + ow;");
                code.Line($"for (int c = 0; c < {c}; c++) y[pixel * {c} + c] = {requantization.AverageExpression("sums[c] - zeroPointTerm", "count")};");
                code.Close();
                code.Close();
                code.Close();
                code.Close();
            };
        }

        /// <summary>"o * stride + k * dilation − pad", leaving out unit factors and zero terms.</summary>
        private static string Affine(string o, int stride, int pad, string k, int dilation) =>
            (stride == 1 ? o : $"{o} * {stride}") + (dilation == 1 ? $" + {k}" : $" + {k} * {dilation}") + (pad == 0 ? "" : $" - {pad}");

        /// <summary>A count that is the product of a per-row and a per-column count: constants when uniform, else constant tables.</summary>
        private static string PerAxis(CodeWriter code, string nameH, int[] valuesH, string indexH, string nameW, int[] valuesW, string indexW)
        {
            string Axis(string name, int[] values, string index)
            {
                if (values.Distinct().Count() == 1) return Int8Code.Int(values[0]);
                Int8Code.ConstantArray(code, "int", name, values);
                return $"{name}[{index}]";
            }
            string h = Axis(nameH, valuesH, indexH), w = Axis(nameW, valuesW, indexW);
            return int.TryParse(h, out int ph) && int.TryParse(w, out int pw) ? Int8Code.Int(ph * pw) : $"{h} * {w}";
        }

        private static Action<CodeWriter> GlobalAveragePool(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 1) throw new EmitException("expected one input X");
            var x = context.Input(0);
            var y = context.Output(0);
            Int8Code.ExpectEightBit(x, "input X");
            Int8Code.ExpectEightBit(y, "output Y");
            Int8Code.ExpectLayout(x, "input X", "NHWC", "rowmajor");
            Int8Code.ExpectLayout(y, "output Y", "NHWC", "rowmajor");
            if (x.Shape.Count < 3) throw new EmitException($"input X {Int8Code.Describe(x)} must be N x C x D1 x ...");
            bool channelsLast = x.Layout == "NHWC";
            int n = x.Shape[0], c = x.Shape[1];
            long plane = Int8Code.Product(x.Shape.Skip(2));
            if (plane == 0) throw new EmitException("an empty spatial plane has no average");
            Int8Code.ExpectShape(y, "output Y", new[] { n, c }.Concat(Enumerable.Repeat(1, x.Shape.Count - 2)).ToArray());
            Int8Code.Count(x);
            int zeroPoint = Int8Code.ZeroPoint(context, "x_zero_point", x.ElementType);
            var requantization = Int8Requantization.Read(context, 1, y);
            if (channelsLast && (long)c * 4 > QConvEmitter.MaxStackBytes) throw new EmitException($"{c} channels need a larger stack buffer than this kernel uses");
            long zeroPointTerm = plane * zeroPoint;
            if (zeroPointTerm > int.MaxValue || zeroPointTerm < int.MinValue) throw new EmitException($"a plane of {plane} values is too large for an int32 sum");

            return code =>
            {
                code.Open("unchecked");
                code.Line($"// QGlobalAveragePool: X {Int8Code.Describe(x)} (x_zero_point {zeroPoint}) -> Y {Int8Code.Describe(y)}; mean of {plane} values per channel;");
                code.Line($"// {requantization.Describe()}. Σ (x − x_zp) = Σ x − {plane}·x_zp.");
                code.Line($"var x = {context.Span(x)};");
                code.Line($"var y = {context.Span(y)};");
                string average = requantization.AverageExpression($"sum - {zeroPointTerm}", Int8Code.Int(plane));
                if (channelsLast)
                {
                    code.Line("// Channels last: add each pixel's channel row to the running sums.");
                    code.Line($"{Int8Code.Span}<int> sums = stackalloc int[{c}];");
                    code.Open($"for (int n = 0; n < {n}; n++)");
                    code.Line("sums.Clear();");
                    code.Line($"for (int p = 0; p < {plane}; p++) {Int8Code.Runtime}Accumulate.Add(sums, x.Slice((n * {plane} + p) * {c}, {c}));");
                    code.Open($"for (int c = 0; c < {c}; c++)");
                    code.Line("int sum = sums[c];");
                    code.Line($"y[n * {c} + c] = {average};");
                    code.Close();
                    code.Close();
                }
                else
                {
                    code.Line("// Row-major: each channel's plane is contiguous.");
                    code.Open($"for (int plane = 0; plane < {(long)n * c}; plane++)");
                    code.Line($"int sum = {Int8Code.Runtime}Int8Dot.Sum(x.Slice(plane * {plane}, {plane}));");
                    code.Line($"y[plane] = {average};");
                    code.Close();
                }
                code.Close();
            };
        }
    }
}
