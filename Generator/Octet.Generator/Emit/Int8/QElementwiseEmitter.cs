using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// The element-wise integer ops, bit-identical to the compiler's kernels of the same names:
    /// <list type="bullet">
    /// <item><c>octet.QAdd</c>: fixed-point — both operands rescaled to a common fine scale,
    /// <c>MultiplyByFixedPoint((v − zp) &lt;&lt; left_shift, M0, shift)</c>, summed and requantized; float —
    /// <c>((a − a_zp) · a_scale + (b − b_zp) · b_scale) / y_scale</c> in float32, rounded half to even.</item>
    /// <item><c>octet.QMul</c>: <c>(a − a_zp)(b − b_zp)</c> requantized.</item>
    /// <item><c>octet.Requantize</c>: <c>x − x_zp</c> requantized (to another scale or 8-bit type).</item>
    /// <item><c>octet.Table</c>: a 256-entry lookup, entry i for the i-th smallest input value; for an int16 input a
    /// 65,536-entry table, which the compiler moves from the <c>table</c> attribute into the weights blob as the op's
    /// second input (docs/model-plan.md), so that 128 KiB of values never become a source literal.</item>
    /// </list>
    /// QAdd, Requantize and Table also take int16 operands and outputs (the 16-bit residual stream); QMul stays 8-bit.
    /// Operands broadcast (ONNX rules) and may be rowmajor or NHWC (see <see cref="ElementwiseLoops"/>). Each element
    /// is read before the output element is written, so the output may share the input's bytes (in-place).
    /// </summary>
    public sealed class QElementwiseEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.QAdd", "octet.QMul", "octet.Requantize", "octet.Table" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            string op = context.Op.OpType;
            int inputCount = op == "octet.QAdd" || op == "octet.QMul" ? 2 : 1;
            // A wide Table reads its 65,536 entries from a second (constant) input.
            bool wideTable = op == "octet.Table" && context.Op.Inputs.Count == 2;
            if (context.Op.Inputs.Count != inputCount + (wideTable ? 1 : 0) || Enumerable.Range(0, inputCount).Any(i => !context.HasInput(i)))
                throw new EmitException($"expected {inputCount} input(s)");
            var inputs = Enumerable.Range(0, inputCount).Select(context.Input).ToList();
            var y = context.Output(0);
            // QAdd, Requantize and Table take the 16-bit residual stream; QMul stays 8-bit (as the compiler's QMul).
            bool acceptsInt16 = op != "octet.QMul";
            for (int i = 0; i < inputs.Count; i++)
                if (acceptsInt16) Int8Code.ExpectQuantized(inputs[i], $"input {i}"); else Int8Code.ExpectEightBit(inputs[i], $"input {i}");
            if (acceptsInt16) Int8Code.ExpectQuantized(y, "output"); else Int8Code.ExpectEightBit(y, "output");
            Int8Code.Count(y);
            var loops = ElementwiseLoops.Plan(y, inputs);
            string[] names = inputCount == 2 ? new[] { "a", "b" } : new[] { "x" };

            bool ownFrame = false;
            Action<CodeWriter> body = op switch
            {
                "octet.QAdd" => QAdd(context, inputs, y, loops, out ownFrame),
                "octet.QMul" => QMul(context, inputs, y, loops),
                "octet.Requantize" => Requantize(context, inputs[0], y, loops),
                _ => wideTable || inputs[0].ElementType == "int16" ? WideTable(context, inputs[0], y, loops) : Table(context, inputs[0], y, loops),
            };
            // A split op declares its spans in its units method.
            if (ownFrame) return body;
            return code =>
            {
                code.Open("unchecked");
                for (int i = 0; i < inputs.Count; i++) code.Line($"var {names[i]} = {context.Span(inputs[i])};");
                code.Line($"var y = {context.Span(y)};");
                body(code);
                code.Close();
            };
        }

        private static string Operands(IReadOnlyList<PlanTensor> inputs, PlanTensor y) =>
            string.Join(" and ", inputs.Select(Int8Code.Describe)) + $" -> {Int8Code.Describe(y)}";

        private static Action<CodeWriter> QMul(OpEmitContext context, List<PlanTensor> inputs, PlanTensor y, ElementwiseLoops loops)
        {
            int aZeroPoint = Int8Code.ZeroPoint(context, "a_zero_point", inputs[0].ElementType);
            int bZeroPoint = Int8Code.ZeroPoint(context, "b_zero_point", inputs[1].ElementType);
            var requantization = Int8Requantization.Read(context, 1, y);
            return code =>
            {
                code.Line($"// QMul: {Operands(inputs, y)}; (a − {aZeroPoint})·(b − {bZeroPoint}) is at most 255² in magnitude, exact in int32;");
                code.Line($"// {requantization.Describe()}.");
                loops.Open(code);
                code.Line($"int product = {Shifted("a", loops.Index(1), aZeroPoint)} * {Shifted("b", loops.Index(2), bZeroPoint)};");
                code.Line($"y[{loops.Index(0)}] = {requantization.Expression("product", "0")};");
                loops.Close(code);
            };
        }

        private static Action<CodeWriter> Requantize(OpEmitContext context, PlanTensor x, PlanTensor y, ElementwiseLoops loops)
        {
            int zeroPoint = Int8Code.ZeroPoint(context, "x_zero_point", x.ElementType);
            var requantization = Int8Requantization.Read(context, 1, y);
            if (loops.IsFlat && Int8Code.IsEightBit(x.ElementType) && Int8Code.IsEightBit(y.ElementType))
                return code =>
                {
                    code.Line($"// Requantize: {Operands(new[] { x }, y)}; x − {zeroPoint}, {requantization.Describe()}.");
                    code.Line("// A function of one 8-bit value: tabulate it for the 256 inputs, then look every element up (SIMD).");
                    string xType = OpEmitContext.ClrType(x.ElementType), yType = OpEmitContext.ClrType(y.ElementType);
                    code.Line($"{Int8Code.Span}<{yType}> table = stackalloc {yType}[256];");
                    code.Open("for (int i = 0; i < 256; i++)");
                    code.Line($"int value = ({xType})(i{(x.ElementType == "int8" ? " - 128" : "")});");
                    code.Line($"table[i] = {requantization.Expression(zeroPoint == 0 ? "value" : zeroPoint < 0 ? $"value + {-zeroPoint}" : $"value - {zeroPoint}", "0")};");
                    code.Close();
                    code.Line($"{Int8Code.Runtime}TableLookup.Apply(x, table, y);");
                };
            return code =>
            {
                code.Line($"// Requantize: {Operands(new[] { x }, y)}; x − {zeroPoint}, {requantization.Describe()}.");
                if (!Int8Code.IsEightBit(x.ElementType) || !Int8Code.IsEightBit(y.ElementType))
                    code.Line("// A 16-bit side: element by element (|x − x_zp| < 2^16 is an exact int32 accumulator).");
                loops.Open(code);
                code.Line($"y[{loops.Index(0)}] = {requantization.Expression(Shifted("x", loops.Index(1), zeroPoint), "0")};");
                loops.Close(code);
            };
        }

        private static Action<CodeWriter> Table(OpEmitContext context, PlanTensor x, PlanTensor y, ElementwiseLoops loops)
        {
            string type = Int8Code.OutputType(context.Int("y_type", 0));
            if (y.ElementType != type) throw new EmitException($"y_type says {type} but the output is {y.ElementType}");
            var table = Int8Code.Ints(context, "table") ?? throw new EmitException("required attribute 'table' is missing");
            if (table.Length != 256) throw new EmitException($"attribute 'table' has {table.Length} entries; expected 256");
            for (int i = 0; i < table.Length; i++) Int8Code.CheckInRange($"table[{i}]", table[i], type);
            string index = x.ElementType == "int8" ? $"x[{loops.Index(1)}] + 128" : $"x[{loops.Index(1)}]";
            return code =>
            {
                code.Line($"// Table: {Operands(new[] { x }, y)}; a function of one 8-bit value precomputed at compile time,");
                code.Line($"// entry i being the output for the i-th smallest input value{(x.ElementType == "int8" ? " (x + 128)" : "")}.");
                Int8Code.ConstantArray(code, OpEmitContext.ClrType(type), "table", table);
                if (loops.IsFlat && type != "int16")
                {
                    code.Line($"{Int8Code.Runtime}TableLookup.Apply(x, table, y);");
                    return;
                }
                loops.Open(code);
                code.Line($"y[{loops.Index(0)}] = table[{index}];");
                loops.Close(code);
            };
        }

        /// <param name="ownFrame">True when the returned body is the whole op method (a split QAdd, see <see cref="SplitRescaledAdd"/>).</param>
        private static Action<CodeWriter> QAdd(OpEmitContext context, List<PlanTensor> inputs, PlanTensor y, ElementwiseLoops loops, out bool ownFrame)
        {
            ownFrame = false;
            int aZeroPoint = Int8Code.ZeroPoint(context, "a_zero_point", inputs[0].ElementType);
            int bZeroPoint = Int8Code.ZeroPoint(context, "b_zero_point", inputs[1].ElementType);
            var requantization = Int8Requantization.Read(context, 1, y, usesScale: false);
            string a = Shifted("a", loops.Index(1), aZeroPoint), b = Shifted("b", loops.Index(2), bZeroPoint);
            if (!requantization.IsFixedPoint)
            {
                float aScale = PositiveScale(context, "a_scale"), bScale = PositiveScale(context, "b_scale"), yScale = PositiveScale(context, "y_scale");
                return code =>
                {
                    code.Line($"// QAdd (float): {Operands(inputs, y)}; ((a − a_zp)·a_scale + (b − b_zp)·b_scale) / y_scale in float32, in that order;");
                    code.Line($"// {requantization.Describe()}.");
                    loops.Open(code);
                    string value = $"((float){Int8Code.Parenthesized(a)} * {Int8Code.Float(aScale)} + (float){Int8Code.Parenthesized(b)} * {Int8Code.Float(bScale)}) / {Int8Code.Float(yScale)}";
                    code.Line($"y[{loops.Index(0)}] = {requantization.RoundAndClamp(value)};");
                    loops.Close(code);
                };
            }
            long leftShift = context.Int("left_shift", 20);
            if (leftShift < 0 || leftShift > 30) throw new EmitException($"attribute 'left_shift' = {leftShift} is outside [0, 30]");
            var (aMultiplier, aShift) = Rescale(context, "a_multiplier", "a_shift");
            var (bMultiplier, bShift) = Rescale(context, "b_multiplier", "b_shift");
            // The 256-entry rescaling tables need 8-bit operands, and RescaledAdd writes 8-bit outputs.
            bool eightBit = Int8Code.IsEightBit(inputs[0].ElementType) && Int8Code.IsEightBit(inputs[1].ElementType) && Int8Code.IsEightBit(y.ElementType);
            long elements = OpEmitContext.ElementCount(y);
            if (loops.IsFlat && eightBit && context.CanPrepare)
            {
                string Signed(PlanTensor t) => t.ElementType == "int8" ? "true" : "false";
                string tables = context.Prepare($"{Int8Code.Runtime}RescaledAddTables", "AddTables",
                    $"{Int8Code.Runtime}RescaledAddTables.Create({Signed(inputs[0])}, {aZeroPoint}, {aMultiplier}, {aShift}, " +
                    $"{Signed(inputs[1])}, {bZeroPoint}, {bMultiplier}, {bShift}, {leftShift})");
                if (context.CanSplit && elements >= SplitElements)
                {
                    ownFrame = true;
                    return code => SplitRescaledAdd(context, inputs, y, requantization, elements, leftShift, tables);
                }
                return code =>
                {
                    code.Line($"// QAdd (fixed-point): {Operands(inputs, y)}; both operands shifted left by {leftShift} and rescaled to a common");
                    code.Line($"// fine scale in integers, summed, then {requantization.Describe()}.");
                    code.Line("// Each operand's rescaled value is a function of its 8-bit value: the constructor tabulates both for the 256 values");
                    code.Line("// (MultiplyByFixedPoint((v − zp) << left_shift, M0, shift)); RescaledAdd adds and requantizes them (SIMD).");
                    string types = string.Join(", ", new[] { inputs[0], inputs[1], y }.Select(t => OpEmitContext.ClrType(t.ElementType)));
                    code.Line($"{Int8Code.Runtime}RescaledAdd.FixedPoint<{types}>(a, b, {tables}, {requantization.Multipliers[0]}, {requantization.Shifts[0]}, " +
                              $"{requantization.ZeroPoint}, {requantization.ClampMin}, {requantization.ClampMax}, y);");
                };
            }
            if (loops.IsFlat && eightBit)
                return code =>
                {
                    code.Line($"// QAdd (fixed-point): {Operands(inputs, y)}; both operands shifted left by {leftShift} and rescaled to a common");
                    code.Line($"// fine scale in integers, summed, then {requantization.Describe()}.");
                    code.Line("// Each operand's rescaled value is a function of its 8-bit value: tabulate both for the 256 values");
                    code.Line("// (entry k for the k-th smallest value: k − 128 for int8, k for uint8), then add and requantize a block at a time (SIMD).");
                    code.Line($"{Int8Code.Span}<int> aTable = stackalloc int[256];");
                    code.Line($"{Int8Code.Span}<int> bTable = stackalloc int[256];");
                    code.Open("for (int k = 0; k < 256; k++)");
                    string aValue = inputs[0].ElementType == "int8" ? "k - 128" : "k", bValue = inputs[1].ElementType == "int8" ? "k - 128" : "k";
                    code.Line($"aTable[k] = {Int8Code.Runtime}FixedPoint.MultiplyByFixedPoint({Int8Code.Parenthesized(Shifted(aValue, aZeroPoint))} << {leftShift}, {aMultiplier}, {aShift});");
                    code.Line($"bTable[k] = {Int8Code.Runtime}FixedPoint.MultiplyByFixedPoint({Int8Code.Parenthesized(Shifted(bValue, bZeroPoint))} << {leftShift}, {bMultiplier}, {bShift});");
                    code.Close();
                    string types = string.Join(", ", new[] { inputs[0], inputs[1], y }.Select(t => OpEmitContext.ClrType(t.ElementType)));
                    code.Line($"{Int8Code.Runtime}RescaledAdd.FixedPoint<{types}>(a, b, aTable, bTable, {requantization.Multipliers[0]}, {requantization.Shifts[0]}, " +
                              $"{requantization.ZeroPoint}, {requantization.ClampMin}, {requantization.ClampMax}, y);");
                };
            if (loops.IsFlat)
                return code =>
                {
                    code.Line($"// QAdd (fixed-point): {Operands(inputs, y)}; both operands shifted left by {leftShift} and rescaled to a common");
                    code.Line($"// fine scale in integers, summed, then {requantization.Describe()}.");
                    code.Line("// A 16-bit side: 65,536 values are too many to tabulate, so WideRescaledAdd computes the rescaling (exact int32,");
                    code.Line("// checked from the attributes), eight values at a time, and requantizes a block at a time.");
                    string types = string.Join(", ", new[] { inputs[0], inputs[1], y }.Select(t => OpEmitContext.ClrType(t.ElementType)));
                    code.Line($"global::Octet.Runtime.Int16.WideRescaledAdd.FixedPoint<{types}>(a, b, {aZeroPoint}, {bZeroPoint}, {leftShift}, " +
                              $"{aMultiplier}, {aShift}, {bMultiplier}, {bShift}, {requantization.Multipliers[0]}, {requantization.Shifts[0]}, " +
                              $"{requantization.ZeroPoint}, {requantization.ClampMin}, {requantization.ClampMax}, y);");
                };
            return code =>
            {
                code.Line($"// QAdd (fixed-point): {Operands(inputs, y)}; both operands shifted left by {leftShift} and rescaled to a common");
                code.Line($"// fine scale in integers, summed, then {requantization.Describe()}.");
                loops.Open(code);
                code.Line($"int aRescaled = {Int8Code.Runtime}FixedPoint.MultiplyByFixedPoint({Int8Code.Parenthesized(a)} << {leftShift}, {aMultiplier}, {aShift});");
                code.Line($"int bRescaled = {Int8Code.Runtime}FixedPoint.MultiplyByFixedPoint({Int8Code.Parenthesized(b)} << {leftShift}, {bMultiplier}, {bShift});");
                code.Line($"y[{loops.Index(0)}] = {requantization.Expression("aRescaled + bRescaled", "0")};");
                loops.Close(code);
            };
        }

        /// <summary>
        /// 8-bit QAdds with at least this many output values split into element ranges a worker team can share. Both operands
        /// come from split ops (a convolution and an earlier residual), so an unsplit QAdd on a team reads half of them from
        /// the other core's cache: measured on mobilenetv3-small-qdq (one process, rounds alternating no team / a team of 2,
        /// load average 6–9), 10,240 values 9.0 µs alone, 13.7 unsplit on the team, 9.4 split; 24,576 values 20.8 / 32.3 /
        /// 18.4; 89,304 values 74.8 / 82.3 / 41.5 µs. So the split pays from about 8 K values (with this kernel's speed,
        /// ≈ 0.8 ns per value; a faster kernel moves the point up). Measured again with the AVX-512 VBMI kernel (≈ 0.16 ns
        /// per value; `octet bench --profile`, 1 then 2 threads, load 2.5): 10,240 values 1.8 → 1.6–1.8 µs, 16,384 values
        /// 2.7 → 2.0, 89,304 values 14.2 → 7.7 — the split still does not lose at this size.
        /// </summary>
        internal const long SplitElements = 8 * 1024;

        /// <summary>Work units of a split QAdd: divisible by 2 and 3, as the convolutions' (see <see cref="QConvEmitter.TargetUnits"/>).</summary>
        private const int SplitUnits = 12;

        /// <summary>Elements a split QAdd's unit boundaries are rounded to: whole 64-byte lines of each 8-bit operand.</summary>
        private const int SplitAlignment = 64;

        /// <summary>
        /// The flat 8-bit fixed-point QAdd split into <see cref="SplitUnits"/> element ranges, with the rescaling tables the
        /// constructor prepared (<paramref name="tables"/>, a <c>RescaledAddTables</c> field) shared by every unit; the ranges are contiguous and in order, so a
        /// participant's owned units cover the pixels its share of the convolution before wrote (whose units are pixel
        /// groups too). Each unit computes its elements as the unsplit kernel does.
        /// </summary>
        private static void SplitRescaledAdd(OpEmitContext context, List<PlanTensor> inputs, PlanTensor y, Int8Requantization requantization, long elements,
            long leftShift, string tables)
        {
            var code = context.Code;
            code.Line($"// QAdd (fixed-point): {Operands(inputs, y)}; both operands shifted left by {leftShift} and rescaled to a common");
            code.Line($"// fine scale in integers, summed, then {requantization.Describe()}.");
            code.Line($"// {elements} values: split into units (ranges of values) that the model's worker team may share; each unit");
            code.Line("// writes its own values, so results do not depend on the threads.");
            var units = context.SplitIntoUnits(SplitUnits);
            units.Open("unchecked");
            units.Line("// Each operand's rescaled value is a function of its 8-bit value: the constructor tabulates both for the 256 values");
            units.Line("// (MultiplyByFixedPoint((v − zp) << left_shift, M0, shift)); RescaledAdd adds and requantizes them (SIMD).");
            long lines = (elements + SplitAlignment - 1) / SplitAlignment;
            units.Line($"// Unit u: values [u·{lines}/{SplitUnits}, (u + 1)·{lines}/{SplitUnits}) in lines of {SplitAlignment}, the last range ending at {elements}.");
            units.Line($"int start = (int)global::System.Math.Min((long)first * {lines} / {SplitUnits} * {SplitAlignment}, {elements});");
            units.Line($"int count = (int)global::System.Math.Min((long)end * {lines} / {SplitUnits} * {SplitAlignment}, {elements}) - start;");
            string[] names = { "a", "b" };
            for (int i = 0; i < 2; i++) units.Line($"var {names[i]} = {context.Span(inputs[i])}.Slice(start, count);");
            units.Line($"var y = {context.Span(y)}.Slice(start, count);");
            string types = string.Join(", ", new[] { inputs[0], inputs[1], y }.Select(t => OpEmitContext.ClrType(t.ElementType)));
            units.Line($"{Int8Code.Runtime}RescaledAdd.FixedPoint<{types}>(a, b, {tables}, {requantization.Multipliers[0]}, {requantization.Shifts[0]}, " +
                       $"{requantization.ZeroPoint}, {requantization.ClampMin}, {requantization.ClampMax}, y);");
            units.Close();
        }

        /// <summary>
        /// Table on an int16 input: <c>y = table[x + 32768]</c>, 65,536 entries. The compiler passes the table as the op's
        /// second input (a weights tensor: 64 KiB or 128 KiB would bloat the generated source as a literal); a plan that
        /// still carries the <c>table</c> attribute is refused rather than written out as a literal.
        /// </summary>
        private static Action<CodeWriter> WideTable(OpEmitContext context, PlanTensor x, PlanTensor y, ElementwiseLoops loops)
        {
            string type = Int8Code.OutputType(context.Int("y_type", 0));
            if (y.ElementType != type) throw new EmitException($"y_type says {type} but the output is {y.ElementType}");
            if (x.ElementType != "int16") throw new EmitException($"input '{x.Name}' is {x.ElementType}; a table input is for an int16 X");
            if (context.Op.Inputs.Count != 2 || !context.HasInput(1))
                throw new EmitException("an int16 Table needs its 65,536 entries as a second (weights) input; the plan carries them as an attribute (compile it with a newer compiler)");
            var table = context.Input(1);
            if (table.ElementType != type || table.Shape.Count != 1 || table.Shape[0] != 65536 || table.Storage == PlanStorage.Arena)
                throw new EmitException($"table '{table.Name}' is {Int8Code.Describe(table)} in the {table.Storage.ToString().ToLowerInvariant()}; expected a constant [65536] {type}");
            return code =>
            {
                code.Line($"// Table: {Operands(new[] { x }, y)}; a function of one int16 value precomputed at compile time, entry x + 32768");
                code.Line("// for input x; the 65,536 entries are read from the weights blob (a source literal that size would bloat the class).");
                code.Line($"var table = {context.Span(table)};");
                if (loops.IsFlat)
                {
                    code.Line($"global::Octet.Runtime.Int16.WideTableLookup.Apply(x, table, y);");
                    return;
                }
                loops.Open(code);
                code.Line($"y[{loops.Index(0)}] = table[x[{loops.Index(1)}] + 32768];");
                loops.Close(code);
            };
        }

        private static string Shifted(string value, int zeroPoint) =>
            zeroPoint == 0 ? value : zeroPoint > 0 ? $"({value} - {zeroPoint})" : $"({value} + {-zeroPoint})";

        private static string Shifted(string name, string index, int zeroPoint) =>
            zeroPoint == 0 ? $"{name}[{index}]" : zeroPoint > 0 ? $"({name}[{index}] - {zeroPoint})" : $"({name}[{index}] + {-zeroPoint})";

        private static float PositiveScale(OpEmitContext context, string name)
        {
            if (!context.HasAttribute(name)) throw new EmitException($"required attribute '{name}' is missing");
            float value = context.Float(name, 0);
            if (!(value > 0) || float.IsInfinity(value)) throw new EmitException($"attribute '{name}' = {value}; expected a positive finite scale");
            return value;
        }

        private static (int Multiplier, int Shift) Rescale(OpEmitContext context, string multiplierName, string shiftName)
        {
            if (!context.HasAttribute(multiplierName) || !context.HasAttribute(shiftName))
                throw new EmitException($"required attributes '{multiplierName}' and '{shiftName}'");
            long multiplier = context.Int(multiplierName, 0), shift = context.Int(shiftName, 0);
            Int8Requantization.CheckFixedPoint(multiplierName, multiplier, shiftName, shift);
            return ((int)multiplier, (int)shift);
        }
    }
}
