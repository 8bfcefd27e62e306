using System.Collections.Generic;
using System.Linq;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>ONNX Transpose: output axis d is input axis perm[d] (perm defaults to the reversed axes).</summary>
    internal sealed class TransposeEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Transpose" };

        public void Emit(OpEmitContext context)
        {
            if (!Checks.OneInputCopy(context, out var input, out var output)) return;
            int rank = input.Shape.Count;
            var perm = context.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(d => (long)d).ToArray();
            if (perm.Length != rank || perm.Distinct().Count() != rank || perm.Any(p => p < 0 || p >= rank))
            {
                context.Unsupported($"perm [{string.Join(",", perm)}] is not a permutation of the {rank} axes");
                return;
            }
            if (rank > CopyWriter.MaxRank)
            {
                context.Unsupported($"rank {rank}; Transpose supports up to rank {CopyWriter.MaxRank}");
                return;
            }
            var permuted = perm.Select(p => (long)input.Shape[(int)p]).ToArray();
            if (!permuted.SequenceEqual(Checks.Longs(output.Shape)))
            {
                context.Unsupported($"output shape {Literals.Shape(output.Shape)} is not the input's {Literals.Shape(input.Shape)} permuted by [{string.Join(",", perm)}]");
                return;
            }
            var inputStrides = TensorLayouts.Strides(input);
            var sourceStrides = perm.Select(p => (long)inputStrides[(int)p]).ToArray();
            context.Code.Line($"// Output axis d reads input axis perm[d], perm = [{string.Join(",", perm)}].");
            CopyWriter.Write(context, input, output, new BoxCopy(0, sourceStrides, 0, Checks.Longs(TensorLayouts.Strides(output)), permuted));
        }
    }
}
