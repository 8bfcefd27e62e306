using System.Collections.Generic;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// The emitters of the integer transformer operators (plan op types <c>octet.ISoftmax</c>, <c>octet.IGelu</c>,
    /// <c>octet.ILayerNorm</c>), and the Gather, Cast and <c>octet.Select</c> that embeddings, class tokens and masks need; their kernels are <c>Octet.Runtime.Transformer</c>'s. Q·Kᵀ and A·V are
    /// <c>octet.QMatMul</c> with two activations, which the int8 emitters handle.
    /// </summary>
    public static class TransformerEmitters
    {
        /// <summary>
        /// Emitters listed before the int8 ones: QMatMul of two activations (Q·Kᵀ, A·V) as SIMD dot products over a
        /// transposed B, which hands every other QMatMul to the int8 emitter.
        /// </summary>
        public static IReadOnlyList<IOpEmitter> BeforeInt8 { get; } = new IOpEmitter[] { new QMatMulActivationsEmitter() };

        public static IReadOnlyList<IOpEmitter> All { get; } = new IOpEmitter[]
        {
            new ISoftmaxEmitter(),
            new IGeluEmitter(),
            new ILayerNormEmitter(),
            new IShiftAttentionEmitter(),
            new GatherEmitter(),
            new CastEmitter(),
            new SelectEmitter(),
        };
    }
}
