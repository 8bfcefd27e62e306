using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// A Relu folded into the float matrix kernel that produces its input (Conv): the kernel clamps each output
    /// at 0 as it stores it, and the Relu op itself emits only a comment. Saves one pass over the tensor.
    /// </summary>
    /// <remarks>
    /// Only when nothing can tell the difference: the Relu is the very next op, its input is read by no other op and
    /// is no graph output, and it works in place (its output is the same arena bytes, shape and layout), so the
    /// producer's clamped store is exactly what the Relu would have written. The clamp is
    /// <c>FloatActivation.Relu</c>'s comparison (x &lt; 0 → 0, NaN and −0 pass), so the bits are the same too.
    /// </remarks>
    internal static class FusedActivation
    {
        /// <summary>The Relu op that the producer <paramref name="producer"/> absorbs, or null.</summary>
        public static PlanOp? ReluAfter(ModelPlan plan, PlanOp producer)
        {
            if (producer.Outputs.Count != 1) return null;
            int next = IndexOf(plan, producer) + 1;
            if (next <= 0 || next >= plan.Ops.Count) return null;
            var relu = plan.Ops[next];
            return Absorbs(plan, producer, relu) ? relu : null;
        }

        /// <summary>The op just before <paramref name="relu"/> when it absorbs the Relu (which then emits nothing), else null.</summary>
        public static PlanOp? AbsorbedBy(ModelPlan plan, PlanOp relu)
        {
            int index = IndexOf(plan, relu);
            if (index <= 0) return null;
            var producer = plan.Ops[index - 1];
            bool absorbed = producer.OpType == "Conv" && producer.Outputs.Count == 1 &&
                            Absorbs(plan, producer, relu) && FloatConvEmitter.FusesActivation(plan, producer);
            return absorbed ? producer : null;
        }

        private static bool Absorbs(ModelPlan plan, PlanOp producer, PlanOp relu)
        {
            if (relu.OpType != "Relu" || relu.Inputs.Count != 1 || relu.Outputs.Count != 1) return false;
            string produced = producer.Outputs[0];
            if (relu.Inputs[0] != produced) return false;
            if (plan.Outputs.Any(o => o.Tensor == produced)) return false;
            if (plan.Ops.Count(o => o.Inputs.Contains(produced)) != 1) return false;
            var x = plan.Tensors.FirstOrDefault(t => t.Name == produced);
            var y = plan.Tensors.FirstOrDefault(t => t.Name == relu.Outputs[0]);
            return x != null && y != null && x.Storage == PlanStorage.Arena && y.Storage == PlanStorage.Arena &&
                   x.Offset == y.Offset && x.Bytes == y.Bytes && x.Layout == y.Layout && x.Shape == y.Shape &&
                   x.ElementType == "float32" && y.ElementType == "float32";
        }

        private static int IndexOf(ModelPlan plan, PlanOp op)
        {
            for (int i = 0; i < plan.Ops.Count; i++)
                if (ReferenceEquals(plan.Ops[i], op) || plan.Ops[i].Index == op.Index && plan.Ops[i].Name == op.Name) return i;
            return -1;
        }
    }
}
