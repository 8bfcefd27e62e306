using System.Collections.Generic;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// Emitters of ops that move or select values without arithmetic on them — shared by integer and float
    /// plans, for any element type: views and copies, relayout, Transpose, Concat, Split, Slice, MaxPool, and
    /// QuantizeLinear / DequantizeLinear inside a plan.
    /// </summary>
    public static class DataMovementEmitters
    {
        public static IReadOnlyList<IOpEmitter> All { get; } = new IOpEmitter[]
        {
            new ViewEmitter(),
            new RelayoutEmitter(),
            new TransposeEmitter(),
            new ConcatEmitter(),
            new SplitEmitter(),
            new ChannelShuffleEmitter(),
            new SliceEmitter(),
            new LinearQuantizationEmitter(),
            new MaxPoolEmitter(),
        };
    }
}
