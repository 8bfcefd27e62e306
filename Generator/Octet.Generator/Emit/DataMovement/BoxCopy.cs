using System.Collections.Generic;
using System.Linq;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// One strided copy (see the runtime's <c>StridedCopy</c>): a box of <see cref="Shape"/> elements read at
    /// <see cref="SourceOffset"/> + Σ i·<see cref="SourceStrides"/> and written at <see cref="DestinationOffset"/> +
    /// Σ i·<see cref="DestinationStrides"/>, all in elements. The data-movement emitters describe their op as such
    /// boxes; <see cref="Simplify"/> then merges dimensions so the emitted code is a block copy whenever it can be.
    /// </summary>
    internal sealed class BoxCopy
    {
        public BoxCopy(long sourceOffset, long[] sourceStrides, long destinationOffset, long[] destinationStrides, long[] shape)
        {
            SourceOffset = sourceOffset;
            SourceStrides = sourceStrides;
            DestinationOffset = destinationOffset;
            DestinationStrides = destinationStrides;
            Shape = shape;
        }

        public long SourceOffset { get; }
        public long[] SourceStrides { get; }
        public long DestinationOffset { get; }
        public long[] DestinationStrides { get; }
        public long[] Shape { get; }

        public long Count => Shape.Aggregate(1L, (a, d) => a * d);

        /// <summary>
        /// The same copy with unit dimensions dropped and neighbouring dimensions merged when both sides step
        /// through them contiguously (the outer stride is the inner stride times the inner size, on both sides).
        /// A copy of contiguous memory into contiguous memory ends up rank 1 with unit strides.
        /// </summary>
        public BoxCopy Simplify()
        {
            var dims = new List<(long Size, long From, long To)>();
            for (int d = 0; d < Shape.Length; d++)
                if (Shape[d] != 1) dims.Add((Shape[d], SourceStrides[d], DestinationStrides[d]));
            if (dims.Count == 0 || dims.Any(d => d.Size == 0))
                return new BoxCopy(SourceOffset, new[] { 1L }, DestinationOffset, new[] { 1L }, new[] { dims.Count == 0 ? 1L : 0L });

            var merged = new List<(long Size, long From, long To)> { dims[dims.Count - 1] };
            for (int d = dims.Count - 2; d >= 0; d--)
            {
                var inner = merged[0];
                var outer = dims[d];
                if (outer.From == inner.From * inner.Size && outer.To == inner.To * inner.Size)
                    merged[0] = (inner.Size * outer.Size, inner.From, inner.To);
                else merged.Insert(0, outer);
            }
            return new BoxCopy(SourceOffset, merged.Select(m => m.From).ToArray(), DestinationOffset,
                merged.Select(m => m.To).ToArray(), merged.Select(m => m.Size).ToArray());
        }

        /// <summary>True when this (simplified) copy moves one contiguous run into one contiguous run.</summary>
        public bool IsBlock => Shape.Length == 1 && SourceStrides[0] == 1 && DestinationStrides[0] == 1;
    }
}
