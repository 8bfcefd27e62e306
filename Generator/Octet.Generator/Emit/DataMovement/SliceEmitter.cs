using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// ONNX Slice with constant parameters: starts, ends, axes and steps arrive as inline constant inputs 1 to 4
    /// (or, from opset-1 models, as attributes). Resolved here exactly as ONNX does (negative values count from
    /// the back, then clamping, so INT_MAX / INT_MIN mean "to the end"), into one strided copy.
    /// </summary>
    internal sealed class SliceEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Slice" };

        public void Emit(OpEmitContext context)
        {
            if (!Checks.OneInputCopy(context, out var input, out var output)) return;
            int rank = input.Shape.Count;

            long[]? starts = Parameter(context, 1, "starts"), ends = Parameter(context, 2, "ends");
            long[]? axes = Parameter(context, 3, "axes"), steps = Parameter(context, 4, "steps");
            if (context.Problems.Count > 0) return;
            if (starts == null || ends == null)
            {
                context.Unsupported("starts and ends must be given (inline constant inputs 1 and 2, or attributes)");
                return;
            }
            axes ??= Enumerable.Range(0, starts.Length).Select(a => (long)a).ToArray();
            steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
            if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            {
                context.Unsupported($"starts, ends, axes and steps have {starts.Length}, {ends.Length}, {axes.Length} and {steps.Length} values; they must agree");
                return;
            }

            var inputStrides = TensorLayouts.Strides(input);
            var shape = Checks.Longs(input.Shape);
            var sourceStrides = Checks.Longs(inputStrides);
            long offset = 0;
            var seen = new HashSet<int>();
            for (int i = 0; i < starts.Length; i++)
            {
                int axis = Checks.NormalizeAxis(context, axes[i], rank);
                if (axis < 0) return;
                if (!seen.Add(axis) || steps[i] == 0)
                {
                    context.Unsupported(steps[i] == 0 ? $"step 0 on axis {axis}" : $"axis {axis} is sliced twice");
                    return;
                }
                var (first, count) = Resolve(starts[i], ends[i], steps[i], input.Shape[axis]);
                offset += first * inputStrides[axis];
                sourceStrides[axis] = inputStrides[axis] * steps[i];
                shape[axis] = count;
            }
            if (!shape.SequenceEqual(Checks.Longs(output.Shape)))
            {
                context.Unsupported($"the slice of {Literals.Shape(input.Shape)} has shape [{string.Join(",", shape)}] but the output is {Literals.Shape(output.Shape)}");
                return;
            }
            context.Code.Line($"// starts [{string.Join(",", starts)}], ends [{string.Join(",", ends)}], axes [{string.Join(",", axes)}], steps [{string.Join(",", steps)}] (resolved at generation time).");
            CopyWriter.Write(context, input, output, new BoxCopy(offset, sourceStrides, 0, Checks.Longs(TensorLayouts.Strides(output)), shape));
        }

        /// <summary>The first index read and the number of elements along one axis, by the ONNX rules.</summary>
        internal static (long First, long Count) Resolve(long start, long end, long step, long dim)
        {
            if (start < 0) start += dim;
            if (end < 0) end += dim;
            if (step > 0)
            {
                start = Math.Max(0, Math.Min(start, dim));
                end = Math.Max(0, Math.Min(end, dim));
                return (start, end > start ? (end - start - 1) / step + 1 : 0);
            }
            start = Math.Max(0, Math.Min(start, dim - 1));
            end = Math.Max(-1, Math.Min(end, dim - 1));
            return (start, start > end ? (start - end - 1) / -step + 1 : 0);
        }

        /// <summary>A parameter from inline constant input <paramref name="index"/>, else from the attribute of that name; null when neither.</summary>
        private static long[]? Parameter(OpEmitContext context, int index, string name)
        {
            if (context.HasInput(index))
            {
                var tensor = context.Input(index);
                if (tensor.Storage != PlanStorage.Inline || (tensor.ElementType != "int64" && tensor.ElementType != "int32"))
                {
                    context.Unsupported($"{name} (input {index}, '{tensor.Name}') must be an inline int32/int64 constant; it is {tensor.ElementType} in {tensor.Storage.ToString().ToLowerInvariant()}");
                    return null;
                }
                return tensor.Values.Select(v => long.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
            }
            return context.Ints(name);
        }
    }
}
