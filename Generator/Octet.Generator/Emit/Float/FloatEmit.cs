using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>What the float32 emitters share: checks with clear messages, tensor descriptions (literals are <see cref="Literals"/>), layout strides.</summary>
    internal static class FloatEmit
    {
        public const string Runtime = "global::Octet.Runtime.";

        /// <summary><c>x float32[1,3,8,8] NHWC</c>: how a tensor is named in the comment that opens a kernel.</summary>
        public static string Describe(PlanTensor tensor) =>
            $"{tensor.Name} {tensor.ElementType}[{string.Join(",", tensor.Shape)}] {tensor.Layout}";

        /// <summary>True when every tensor is float32; otherwise reports which is not.</summary>
        public static bool ExpectFloat(OpEmitContext context, params PlanTensor[] tensors)
        {
            foreach (var tensor in tensors)
            {
                if (tensor.ElementType == "float32") continue;
                context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': tensor '{tensor.Name}' is {tensor.ElementType}; the float32 kernel needs float32");
                return false;
            }
            return true;
        }

        /// <summary>True when <paramref name="tensor"/> has the given rank and layout; otherwise reports it.</summary>
        public static bool Expect(OpEmitContext context, PlanTensor tensor, int rank, string layout, string role)
        {
            if (tensor.Shape.Count == rank && tensor.Layout == layout) return true;
            context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': {role} '{tensor.Name}' is {tensor.Layout} [{string.Join(",", tensor.Shape)}]; " +
                                $"the float32 kernel needs a rank-{rank} {layout} tensor");
            return false;
        }

        /// <summary>Checks the op has at least the given inputs and outputs, reporting otherwise.</summary>
        public static bool ExpectArity(OpEmitContext context, int requiredInputs, int outputs)
        {
            for (int i = 0; i < requiredInputs; i++)
            {
                if (context.HasInput(i)) continue;
                context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': required input {i} is missing");
                return false;
            }
            if (context.Op.Outputs.Count < outputs)
            {
                context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': expected {outputs} output(s), the plan lists {context.Op.Outputs.Count}");
                return false;
            }
            return true;
        }

        /// <summary>
        /// For each logical axis, the distance in elements between neighbours along that axis in memory, or null
        /// for a layout these kernels do not read (anything but rowmajor, or NHWC of rank 4).
        /// </summary>
        public static long[]? MemoryStrides(PlanTensor tensor)
        {
            var shape = tensor.Shape;
            int rank = shape.Count;
            var strides = new long[rank];
            if (tensor.Layout == "rowmajor")
            {
                long stride = 1;
                for (int axis = rank - 1; axis >= 0; axis--)
                {
                    strides[axis] = stride;
                    stride *= shape[axis];
                }
                return strides;
            }
            if (tensor.Layout == "NHWC" && rank == 4)
            {
                // Logical N, C, H, W stored as [N][H][W][C].
                long c = shape[1], h = shape[2], w = shape[3];
                strides[1] = 1;
                strides[3] = c;
                strides[2] = w * c;
                strides[0] = h * w * c;
                return strides;
            }
            return null;
        }

        /// <summary>The logical axes in memory order, outermost first (NHWC: N, H, W, C).</summary>
        public static int[] MemoryOrder(PlanTensor tensor) =>
            tensor.Layout == "NHWC" && tensor.Shape.Count == 4 ? new[] { 0, 2, 3, 1 } : Enumerable.Range(0, tensor.Shape.Count).ToArray();

        /// <summary><c>expr * k</c>, or just <c>expr</c> when k is 1 (keeps generated index arithmetic readable).</summary>
        public static string Times(string expression, int factor) => factor == 1 ? expression : $"{expression} * {factor}";

        /// <summary><c>expr - k</c>, or just <c>expr</c> when k is 0.</summary>
        public static string Minus(string expression, int amount) => amount == 0 ? expression : $"{expression} - {amount}";

        /// <summary><c>[1, 2, 3]</c> as C# collection-expression text for a constant table.</summary>
        public static string IntList(IEnumerable<int> values) => "[" + string.Join(", ", values) + "]";
    }
}
