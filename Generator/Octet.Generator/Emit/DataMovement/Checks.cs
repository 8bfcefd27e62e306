using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>Preconditions the data-movement emitters share; each failure is reported with <see cref="OpEmitContext.Unsupported"/>.</summary>
    internal static class Checks
    {
        public static bool Layout(OpEmitContext context, PlanTensor tensor)
        {
            if (TensorLayouts.IsActivationLayout(tensor)) return true;
            context.Unsupported($"tensor '{tensor.Name}' has layout {tensor.Layout} with shape {Literals.Shape(tensor.Shape)}; expected rowmajor or rank-4 NHWC");
            return false;
        }

        public static bool SameElementType(OpEmitContext context, PlanTensor a, PlanTensor b)
        {
            if (a.ElementType == b.ElementType) return true;
            context.Unsupported($"tensors '{a.Name}' ({a.ElementType}) and '{b.Name}' ({b.ElementType}) must have the same element type");
            return false;
        }

        /// <summary>
        /// The preamble of an op that copies one input into one output of the same element type (Relayout, Slice,
        /// Transpose): the input is present, both tensors are in activation layouts, and the input fits int indexing.
        /// </summary>
        public static bool OneInputCopy(OpEmitContext context, out PlanTensor input, out PlanTensor output)
        {
            input = output = null!;
            if (!InputCount(context, 1)) return false;
            input = context.Input(0);
            output = context.Output(0);
            return SameElementType(context, input, output) && Layout(context, input) && Layout(context, output) && Size(context, input);
        }

        public static bool InputCount(OpEmitContext context, int minimum)
        {
            for (int i = 0; i < minimum; i++)
                if (!context.HasInput(i))
                {
                    context.Unsupported($"input {i} is missing");
                    return false;
                }
            return true;
        }

        /// <summary>True when element counts fit the runtime's int indexing.</summary>
        public static bool Size(OpEmitContext context, PlanTensor tensor)
        {
            if (OpEmitContext.ElementCount(tensor) <= int.MaxValue) return true;
            context.Unsupported($"tensor '{tensor.Name}' has {OpEmitContext.ElementCount(tensor)} elements; at most {int.MaxValue} are supported");
            return false;
        }

        public static int NormalizeAxis(OpEmitContext context, long axis, int rank)
        {
            long normalized = axis < 0 ? axis + rank : axis;
            if (normalized >= 0 && normalized < rank) return (int)normalized;
            context.Unsupported($"axis {axis} is out of range for rank {rank}");
            return -1;
        }

        public static long[] Longs(int[] values) => values.Select(v => (long)v).ToArray();
        public static long[] Longs(EquatableArray<int> values) => values.Select(v => (long)v).ToArray();
    }
}
