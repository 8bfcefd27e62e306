using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// The requantization attributes of an integer op (the compiler's <c>Requantizer</c>): <c>requant</c>
    /// ("fixed-point" or "float"), <c>y_type</c>, <c>y_zero_point</c>, <c>clamp_min</c>, <c>clamp_max</c>, and per mode
    /// <c>multiplier</c>/<c>shift</c> or <c>scale</c>, each one value or one per channel. Read and checked once, then
    /// spelled as calls to <c>Octet.Runtime.Int8.Requantization</c> with the constants inlined; per-channel values
    /// become constant spans indexed by the channel (values that are all equal collapse to one constant).
    /// </summary>
    internal sealed class Int8Requantization
    {
        private Int8Requantization(bool fixedPoint, string outputType, int zeroPoint, int clampMin, int clampMax,
            int[] multipliers, int[] shifts, float[] scales)
        {
            IsFixedPoint = fixedPoint;
            OutputType = outputType;
            ZeroPoint = zeroPoint;
            ClampMin = clampMin;
            ClampMax = clampMax;
            Multipliers = multipliers;
            Shifts = shifts;
            Scales = scales;
        }

        public bool IsFixedPoint { get; }
        /// <summary>"int8", "uint8" or "int16" (y_type 5: a layer writing the 16-bit residual stream).</summary>
        public string OutputType { get; }

        /// <summary>True for an int16 output: row requantization goes to <c>Octet.Runtime.Int16.WideRequantizeRow</c>.</summary>
        public bool IsWide => OutputType == "int16";
        public int ZeroPoint { get; }
        public int ClampMin { get; }
        public int ClampMax { get; }
        public int[] Multipliers { get; }
        public int[] Shifts { get; }
        public float[] Scales { get; }

        /// <summary>True when some constant differs between channels (so the kernel indexes per-channel spans).</summary>
        public bool PerChannel => Multipliers.Distinct().Count() > 1 || Shifts.Distinct().Count() > 1 || Scales.Distinct().Count() > 1;

        /// <summary>Reads the attributes; <paramref name="usesScale"/> is false for QAdd, whose float mode has its own scales.</summary>
        public static Int8Requantization Read(OpEmitContext context, int channels, PlanTensor output, bool usesScale = true)
        {
            string mode = context.String("requant") ?? throw new EmitException("required attribute 'requant' is missing");
            bool fixedPoint = mode == "fixed-point";
            if (!fixedPoint && mode != "float") throw new EmitException($"requant=\"{mode}\"; expected \"fixed-point\" or \"float\"");
            long typeCode = context.Int("y_type", 0);
            string type = Int8Code.OutputType(typeCode);
            if (output.ElementType != type)
                throw new EmitException($"y_type says {type} but output '{output.Name}' is {output.ElementType}");
            var (min, max) = Int8Code.Range(type);
            int zeroPoint = Int8Code.ZeroPoint(context, "y_zero_point", type);
            int clampMin = Int8Code.Int(context, "clamp_min", min), clampMax = Int8Code.Int(context, "clamp_max", max);
            Int8Code.CheckInRange("clamp_min", clampMin, type);
            Int8Code.CheckInRange("clamp_max", clampMax, type);
            if (clampMin > clampMax) throw new EmitException($"clamp_min={clampMin} is greater than clamp_max={clampMax}");

            int[] multipliers = new int[0], shifts = new int[0];
            float[] scales = new float[0];
            if (fixedPoint)
            {
                multipliers = ExpandPerChannel(Int8Code.Ints(context, "multiplier"), "multiplier", channels);
                shifts = ExpandPerChannel(Int8Code.Ints(context, "shift"), "shift", channels);
                for (int c = 0; c < channels; c++) CheckFixedPoint("multiplier", multipliers[c], "shift", shifts[c]);
            }
            else if (usesScale)
            {
                scales = ExpandPerChannel(context.Floats("scale"), "scale", channels);
                foreach (var s in scales)
                    if (!(s >= 0) || float.IsInfinity(s)) throw new EmitException($"attribute 'scale' has value {s}; scales must be finite and non-negative");
            }
            return new Int8Requantization(fixedPoint, type, zeroPoint, clampMin, clampMax, multipliers, shifts, scales);
        }

        /// <summary>M0 in [2^30, 2^31) or 0; shift at most 31 (the compiler's <c>Requantizer.CheckFixedPoint</c>).</summary>
        public static void CheckFixedPoint(string multiplierName, long multiplier, string shiftName, long shift)
        {
            if (multiplier != 0 && (multiplier < 1L << 30 || multiplier > int.MaxValue))
                throw new EmitException($"attribute '{multiplierName}' = {multiplier} is not a normalized fixed-point multiplier");
            if (shift > 31 || shift < int.MinValue / 2) throw new EmitException($"attribute '{shiftName}' = {shift} is out of range");
        }

        private static T[] ExpandPerChannel<T>(T[]? values, string name, int channels)
        {
            if (values == null) throw new EmitException($"required attribute '{name}' is missing");
            if (values.Length != 1 && values.Length != channels)
                throw new EmitException($"attribute '{name}' has {values.Length} values; expected 1 or {channels}");
            return Enumerable.Range(0, channels).Select(c => values[values.Length == 1 ? 0 : c]).ToArray();
        }

        /// <summary>"fixed-point M0 1518500250, shift -7, y_zp 3, clamp [3, 127]" for comments.</summary>
        public string Describe()
        {
            string constants = IsFixedPoint
                ? (PerChannel ? "per-channel M0 and shift" : $"M0 {Multipliers.FirstOrDefault()}, shift {Shifts.FirstOrDefault()}")
                : Scales.Length == 0 ? "" : PerChannel ? "per-channel scale" : $"scale {Int8Code.Float(Scales[0])}";
            return $"{(IsFixedPoint ? "fixed-point" : "float")} requantization to {OutputType} ({constants}{(constants.Length > 0 ? ", " : "")}" +
                   $"y_zero_point {ZeroPoint}, clamp [{ClampMin}, {ClampMax}])";
        }

        /// <summary>Declares the per-channel constant spans (when the values differ between channels).</summary>
        public void DeclareConstants(CodeWriter code)
        {
            if (!PerChannel) return;
            if (IsFixedPoint)
            {
                Int8Code.ConstantArray(code, "int", "multipliers", Multipliers);
                Int8Code.ConstantArray(code, "int", "shifts", Shifts);
            }
            else Int8Code.ConstantArray(code, "float", "scales", Scales.Select(Int8Code.Float));
        }

        /// <summary>
        /// The requantized value of int32 accumulator <paramref name="accumulator"/> of channel <paramref name="channel"/>
        /// (a C# expression), cast to the output's element type.
        /// </summary>
        public string Expression(string accumulator, string channel)
        {
            string tail = $"{ZeroPoint}, {ClampMin}, {ClampMax})";
            string value = IsFixedPoint
                ? $"{Int8Code.Runtime}Requantization.FixedPoint({accumulator}, {(PerChannel ? $"multipliers[{channel}]" : Int8Code.Int(Multipliers[0]))}, {(PerChannel ? $"shifts[{channel}]" : Int8Code.Int(Shifts[0]))}, {tail}"
                : $"{Int8Code.Runtime}Requantization.Float({accumulator}, {(PerChannel ? $"scales[{channel}]" : Int8Code.Float(Scales[0]))}, {tail}";
            return $"({OpEmitContext.ClrType(OutputType)}){value}";
        }

        /// <summary>
        /// Declares what <see cref="RowCall"/> reads besides the per-channel spans: one-element spans for per-tensor
        /// constants (the runtime's <c>RequantizeRow</c> applies a one-element span to every channel).
        /// </summary>
        public void DeclareRowConstants(CodeWriter code)
        {
            if (PerChannel) return;
            if (IsFixedPoint)
            {
                code.Line($"{Int8Code.ReadOnlySpan}<int> multipliers = [{Int8Code.Int(Multipliers[0])}];");
                code.Line($"{Int8Code.ReadOnlySpan}<int> shifts = [{Int8Code.Int(Shifts[0])}];");
            }
            else code.Line($"{Int8Code.ReadOnlySpan}<float> scales = [{Int8Code.Float(Scales[0])}];");
        }

        /// <summary>
        /// A statement requantizing <paramref name="count"/> channels from <paramref name="first"/> on at once:
        /// int32 <paramref name="products"/> plus <paramref name="bias"/> (a span expression, or null for none) into
        /// <paramref name="output"/>, through <c>Octet.Runtime.Int8.RequantizeRow</c> (vectorized, same integers as
        /// <see cref="Expression"/>). Needs <see cref="DeclareConstants"/> and <see cref="DeclareRowConstants"/>.
        /// </summary>
        public string RowCall(string products, string? bias, string first, string count, string output) =>
            BlockCall(products, null, bias, first, count, output, null, null);

        /// <summary>
        /// As <see cref="RowCall"/> for <paramref name="rows"/> rows at once (row r at r · <paramref name="productStride"/> in the
        /// products, r · <paramref name="outputStride"/> in the output); a row call when <paramref name="rows"/> is null.
        /// </summary>
        public string BlockCall(string products, string? productStride, string? bias, string first, string count, string output, string? outputStride, string? rows)
        {
            if (rows != null) products = $"{products}, {productStride}";
            string tail = rows == null ? $"{ZeroPoint}, {ClampMin}, {ClampMax}, {output});" : $"{ZeroPoint}, {ClampMin}, {ClampMax}, {output}, {outputStride}, {rows}, {count});";
            // The int16 row kernel has the 8-bit one's signature with a Span<short> output.
            string kernel = IsWide ? "global::Octet.Runtime.Int16.WideRequantizeRow." : $"{Int8Code.Runtime}RequantizeRow.";
            return $"{kernel}{(IsFixedPoint ? "FixedPoint" : "Float")}({products}, {ChannelArguments(bias, first, count)}, {tail}";
        }

        /// <summary>
        /// The bias and per-channel constants of channels [<paramref name="first"/>, first + <paramref name="count"/>) as
        /// call arguments: the bias slice (or <c>default</c>), then multipliers and shifts (or scales), sliced when they
        /// differ between channels (one-element spans otherwise, see <see cref="DeclareRowConstants"/>).
        /// </summary>
        private string ChannelArguments(string? bias, string first, string count)
        {
            string Constant(string name) => PerChannel ? $"{name}.Slice({first}, {count})" : name;
            string biasSpan = bias == null ? "default" : $"{bias}.Slice({first}, {count})";
            return IsFixedPoint ? $"{biasSpan}, {Constant("multipliers")}, {Constant("shifts")}" : $"{biasSpan}, {Constant("scales")}";
        }

        /// <summary>
        /// True when <c>Int8Gemm.MultiplyRequantize</c> can requantize the products in its registers: fixed point with
        /// right shifts only (its vector form; <c>Int8Gemm.FusableShifts</c> checks the same at run time).
        /// </summary>
        public bool FusesIntoGemm => IsFixedPoint && !IsWide && Shifts.All(s => s <= 30);

        /// <summary>
        /// A statement multiplying rows by a packed weight panel and requantizing the products straight into the output
        /// (<c>Int8Gemm.MultiplyRequantize</c>; the same integers as <c>Int8Gemm.Multiply</c> and <see cref="BlockCall"/>).
        /// <paramref name="gemm"/> is the multiplication's arguments up to the channel count; <paramref name="products"/> is
        /// the scratch the kernel falls back to where the CPU lacks the fused form. Needs <see cref="FusesIntoGemm"/>,
        /// <see cref="DeclareConstants"/> and <see cref="DeclareRowConstants"/>.
        /// </summary>
        public string FusedGemmCall(string gemm, string? bias, string first, string count, string output, string outputStride, string products) =>
            $"{Int8Code.Runtime}Int8Gemm.MultiplyRequantize({gemm}, {ChannelArguments(bias, first, count)}, " +
            $"{ZeroPoint}, {ClampMin}, {ClampMax}, {output}, {outputStride}, {products});";

        /// <summary>The float paths' last step on an already scaled float value (QAdd's float mode).</summary>
        public string RoundAndClamp(string value) =>
            $"({OpEmitContext.ClrType(OutputType)}){Int8Code.Runtime}Requantization.RoundAndClamp({value}, {ZeroPoint}, {ClampMin}, {ClampMax})";

        /// <summary>The averaging step of the pools (per tensor): sum over <paramref name="count"/> values.</summary>
        public string AverageExpression(string sum, string count)
        {
            string tail = $"{ZeroPoint}, {ClampMin}, {ClampMax})";
            string value = IsFixedPoint
                ? $"{Int8Code.Runtime}Average.FixedPoint({sum}, {count}, {Multipliers[0]}, {Shifts[0]}, {tail}"
                : $"{Int8Code.Runtime}Average.Float({sum}, {count}, {Int8Code.Float(Scales[0])}, {tail}";
            return $"({OpEmitContext.ClrType(OutputType)}){value}";
        }
    }
}
