using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>Writes the C# for a <see cref="BoxCopy"/> between two tensors' spans.</summary>
    internal static class CopyWriter
    {
        /// <summary>
        /// Emits the copy: <c>source.Slice(a, n).CopyTo(destination.Slice(b, n))</c> when it is one block, else a call
        /// to the runtime's <c>StridedCopy.Copy</c> with the (merged) box. Reports through
        /// <see cref="OpEmitContext.Unsupported"/> when the box has more dimensions than the runtime walks.
        /// </summary>
        public static void Write(OpEmitContext context, PlanTensor source, PlanTensor destination, BoxCopy copy)
        {
            var box = copy.Simplify();
            string type = OpEmitContext.ClrType(source.ElementType);
            string from = context.Span(source), to = context.Span(destination);
            if (box.Count == 0)
            {
                context.Code.Line("// Nothing to copy: the box is empty.");
                return;
            }
            if (box.IsBlock)
            {
                context.Code.Line($"{Slice(from, box.SourceOffset, box.Count, OpEmitContext.ElementCount(source))}.CopyTo(" +
                                  $"{Slice(to, box.DestinationOffset, box.Count, OpEmitContext.ElementCount(destination))});");
                return;
            }
            if (box.Shape.Length > MaxRank)
            {
                context.Unsupported($"the copy needs {box.Shape.Length} dimensions after merging; the runtime walks at most {MaxRank}");
                return;
            }
            context.Code.Line($"global::Octet.Runtime.DataMovement.StridedCopy.Copy<{type}>(");
            context.Code.Line($"    {from}, {box.SourceOffset}, {Ints(box.SourceStrides)},");
            context.Code.Line($"    {to}, {box.DestinationOffset}, {Ints(box.DestinationStrides)},");
            context.Code.Line($"    {Ints(box.Shape)});");
        }

        /// <summary>The runtime's <c>StridedCopy.MaxRank</c>.</summary>
        public const int MaxRank = 6;

        private static string Slice(string span, long offset, long count, long total) =>
            offset == 0 && count == total ? span : $"{span}.Slice({offset}, {count})";

        private static string Ints(long[] values) => Literals.Ints(values.Select(v => (int)v));
    }
}
