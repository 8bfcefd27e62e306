using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// The loop nest of an element-wise op over its output in memory order, with each input's element index:
    /// inputs may broadcast (ONNX rules on the logical shapes) and any tensor may be rowmajor or NHWC, so each
    /// input gets a stride per loop (0 along broadcast axes). Axes of size 1 are dropped and adjacent axes that
    /// every tensor walks contiguously are merged: same-shape, same-layout operands become one flat loop.
    /// </summary>
    internal sealed class ElementwiseLoops
    {
        private readonly int[] _sizes;
        private readonly int[][] _strides; // [tensor][loop]; tensor 0 is the output

        private ElementwiseLoops(int[] sizes, int[][] strides)
        {
            _sizes = sizes;
            _strides = strides;
        }

        public static ElementwiseLoops Plan(PlanTensor output, IReadOnlyList<PlanTensor> inputs)
        {
            int rank = output.Shape.Count;
            var order = MemoryOrder(output);
            var sizes = order.Select(axis => output.Shape[axis]).ToArray();
            var strides = new List<int[]> { order.Select(axis => ElementStrides(output)[axis]).ToArray() };
            foreach (var input in inputs)
            {
                if (input.Shape.Count > rank)
                    throw new EmitException($"input {Int8Code.Describe(input)} has a higher rank than output {Int8Code.Describe(output)}");
                var own = ElementStrides(input);
                var logical = new int[rank];
                for (int axis = 0; axis < rank; axis++)
                {
                    int k = axis - (rank - input.Shape.Count);
                    if (k < 0 || input.Shape[k] == 1) continue;
                    if (input.Shape[k] != output.Shape[axis])
                        throw new EmitException($"input {Int8Code.Describe(input)} does not broadcast to output {Int8Code.Describe(output)}");
                    logical[axis] = own[k];
                }
                strides.Add(order.Select(axis => logical[axis]).ToArray());
            }

            // Drop unit loops, then merge a loop into the one outside it when every tensor steps contiguously across both.
            var keptSizes = new List<int>();
            var kept = strides.Select(_ => new List<int>()).ToList();
            for (int loop = 0; loop < sizes.Length; loop++)
            {
                if (sizes[loop] == 1) continue;
                int last = keptSizes.Count - 1;
                if (last >= 0 && strides.Select((s, t) => kept[t][last] == s[loop] * sizes[loop]).All(ok => ok))
                {
                    keptSizes[last] *= sizes[loop];
                    for (int t = 0; t < strides.Count; t++) kept[t][last] = strides[t][loop];
                    continue;
                }
                keptSizes.Add(sizes[loop]);
                for (int t = 0; t < strides.Count; t++) kept[t].Add(strides[t][loop]);
            }
            if (keptSizes.Count == 0)
            {
                keptSizes.Add(1);
                foreach (var k in kept) k.Add(1);
            }
            return new ElementwiseLoops(keptSizes.ToArray(), kept.Select(k => k.ToArray()).ToArray());
        }

        /// <summary>The logical axes in memory order, outermost first.</summary>
        private static int[] MemoryOrder(PlanTensor tensor)
        {
            if (tensor.Layout == "NHWC" && tensor.Shape.Count == 4) return new[] { 0, 2, 3, 1 };
            if (tensor.Layout != "rowmajor") throw new EmitException($"layout {tensor.Layout} is not an element-wise layout");
            return Enumerable.Range(0, tensor.Shape.Count).ToArray();
        }

        /// <summary>Element strides of each logical axis in the tensor's layout.</summary>
        private static int[] ElementStrides(PlanTensor tensor)
        {
            var order = MemoryOrder(tensor);
            var strides = new int[tensor.Shape.Count];
            int stride = 1;
            for (int i = order.Length - 1; i >= 0; i--)
            {
                strides[order[i]] = stride;
                stride *= tensor.Shape[order[i]];
            }
            return strides;
        }

        public bool IsFlat => _sizes.Length == 1 && _strides.All(s => s[0] == 1);

        /// <summary>Opens the loops (closed by <see cref="Close"/>).</summary>
        public void Open(CodeWriter code)
        {
            if (IsFlat)
            {
                code.Open($"for (int i = 0; i < {_sizes[0]}; i++)");
                return;
            }
            code.Line("// Broadcasting: each operand's index advances only along the axes it has.");
            for (int loop = 0; loop < _sizes.Length; loop++) code.Open($"for (int i{loop} = 0; i{loop} < {_sizes[loop]}; i{loop}++)");
        }

        public void Close(CodeWriter code)
        {
            for (int loop = 0; loop < (IsFlat ? 1 : _sizes.Length); loop++) code.Close();
        }

        /// <summary>The element index of tensor <paramref name="tensor"/> (0: the output, then the inputs in order) inside the loops.</summary>
        public string Index(int tensor)
        {
            if (IsFlat) return "i";
            var terms = new List<string>();
            for (int loop = 0; loop < _sizes.Length; loop++)
            {
                int stride = _strides[tensor][loop];
                if (stride == 0) continue;
                terms.Add(stride == 1 ? $"i{loop}" : $"i{loop} * {stride}");
            }
            return terms.Count == 0 ? "0" : string.Join(" + ", terms);
        }
    }
}
