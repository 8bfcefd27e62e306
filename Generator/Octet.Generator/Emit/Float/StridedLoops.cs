using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// A walk over an output tensor in its memory order, with each operand's position found by constant strides:
    /// the index arithmetic of element-wise broadcasting (and of MatMul's batch axes), worked out at generation time.
    /// Axes of size 1 are dropped and neighbouring axes that every operand walks contiguously are merged, so a
    /// same-shape operation becomes one run and a broadcast bias becomes "outer loop, inner run".
    /// </summary>
    internal sealed class StridedLoops
    {
        private StridedLoops(int[] sizes, long[][] strides)
        {
            Sizes = sizes;
            Strides = strides;
        }

        /// <summary>Loop sizes, outermost first (empty for a single element).</summary>
        public int[] Sizes { get; }

        /// <summary>For each operand, its stride (in elements) along each loop; 0 where it is broadcast.</summary>
        public long[][] Strides { get; }

        public int Rank => Sizes.Length;

        /// <summary>
        /// The loops that visit <paramref name="output"/> in memory order, with the strides of the output (operand 0)
        /// and of each input broadcast to it (ONNX multidirectional broadcasting: right-aligned, size-1 axes repeat).
        /// Null, with the problem reported, when a layout cannot be walked or a shape does not broadcast.
        /// </summary>
        public static StridedLoops? ForBroadcast(OpEmitContext context, PlanTensor output, IReadOnlyList<PlanTensor> inputs)
        {
            var operands = new[] { output }.Concat(inputs).ToArray();
            var memoryStrides = new long[operands.Length][];
            for (int k = 0; k < operands.Length; k++)
            {
                memoryStrides[k] = FloatEmit.MemoryStrides(operands[k])!;
                if (memoryStrides[k] == null)
                {
                    context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': tensor '{operands[k].Name}' has layout {operands[k].Layout} " +
                                        $"with shape [{string.Join(",", operands[k].Shape)}], which the float32 element-wise kernel cannot address");
                    return null;
                }
            }

            var shape = output.Shape;
            int rank = shape.Count;
            var order = FloatEmit.MemoryOrder(output);
            var sizes = order.Select(axis => shape[axis]).ToArray();
            var strides = new long[operands.Length][];
            for (int k = 0; k < operands.Length; k++)
            {
                var operand = operands[k];
                int offset = rank - operand.Shape.Count;
                if (offset < 0)
                {
                    context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': input '{operand.Name}' has rank {operand.Shape.Count}, more than the output's {rank}");
                    return null;
                }
                strides[k] = new long[rank];
                for (int i = 0; i < rank; i++)
                {
                    int axis = order[i], own = axis - offset;
                    if (own < 0) continue;
                    int dim = operand.Shape[own];
                    if (dim == shape[axis]) strides[k][i] = memoryStrides[k][own];
                    else if (dim != 1)
                    {
                        context.Unsupported($"{context.Op.OpType} '{context.Op.Name}': input '{operand.Name}' [{string.Join(",", operand.Shape)}] " +
                                            $"does not broadcast to the output [{string.Join(",", shape)}]");
                        return null;
                    }
                }
            }
            return Simplify(sizes, strides);
        }

        /// <summary>Drops size-1 loops and merges an outer loop into the next inner one when every operand allows it.</summary>
        public static StridedLoops Simplify(int[] sizes, long[][] strides)
        {
            var keptSizes = new List<int>();
            var keptStrides = strides.Select(_ => new List<long>()).ToArray();
            for (int i = 0; i < sizes.Length; i++)
            {
                if (sizes[i] == 1) continue;
                keptSizes.Add(sizes[i]);
                for (int k = 0; k < strides.Length; k++) keptStrides[k].Add(strides[k][i]);
            }
            // Merge from the inside out: loop i folds into loop i+1 when, for every operand, one step of loop i
            // is the same as running loop i+1 to its end.
            for (int i = keptSizes.Count - 2; i >= 0; i--)
            {
                bool mergeable = true;
                for (int k = 0; k < strides.Length && mergeable; k++)
                    mergeable = keptStrides[k][i] == keptStrides[k][i + 1] * keptSizes[i + 1];
                if (!mergeable) continue;
                keptSizes[i + 1] *= keptSizes[i];
                keptSizes.RemoveAt(i);
                foreach (var list in keptStrides) list.RemoveAt(i);
            }
            return new StridedLoops(keptSizes.ToArray(), keptStrides.Select(l => l.ToArray()).ToArray());
        }

        /// <summary>
        /// Writes the loops around all but the innermost axis and, inside them, one <c>int</c> offset variable per
        /// operand (named by <paramref name="offsetNames"/>); then calls <paramref name="inner"/> to write the innermost
        /// run (<see cref="InnerSize"/> elements with <see cref="InnerStride"/>). With no axes at all (one element), the
        /// offsets are 0 and the run has one element. With <paramref name="loopEveryAxis"/> the innermost axis is a
        /// loop too, and <paramref name="inner"/> writes the work at one position.
        /// </summary>
        public void Emit(CodeWriter code, string[] offsetNames, Action inner, bool loopEveryAxis = false)
        {
            int outer = loopEveryAxis ? Rank : Math.Max(0, Rank - 1);
            for (int i = 0; i < outer; i++) code.Open($"for (int i{i} = 0; i{i} < {Sizes[i]}; i{i}++)");
            for (int k = 0; k < offsetNames.Length; k++)
            {
                var terms = new List<string>();
                for (int i = 0; i < outer; i++)
                {
                    long stride = Strides[k][i];
                    if (stride != 0) terms.Add(stride == 1 ? $"i{i}" : $"i{i} * {stride}");
                }
                code.Line($"int {offsetNames[k]} = {(terms.Count == 0 ? "0" : string.Join(" + ", terms))};");
            }
            inner();
            for (int i = 0; i < outer; i++) code.Close();
        }

        /// <summary>Elements in the innermost run.</summary>
        public int InnerSize => Rank == 0 ? 1 : Sizes[Rank - 1];

        /// <summary>The operand's stride along the innermost run (1 for a single element).</summary>
        public long InnerStride(int operand) => Rank == 0 ? 1 : Strides[operand][Rank - 1];
    }
}
