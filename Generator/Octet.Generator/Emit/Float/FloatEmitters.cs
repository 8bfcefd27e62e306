using System.Collections.Generic;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// The op emitters for float32 plans (compute ops only: data movement such as Reshape, Concat or
    /// Relayout has its own emitters). The model class emitter looks ops up in this list by op type.
    /// </summary>
    public static class FloatEmitters
    {
        public static IReadOnlyList<IOpEmitter> All { get; } = new IOpEmitter[]
        {
            new FloatConvEmitter(),
            new FloatGemmEmitter(),
            new FloatMatMulEmitter(),
            new FloatBinaryEmitter(),
            new FloatUnaryEmitter(),
            new FloatClipEmitter(),
            new FloatAveragePoolEmitter(),
            new FloatGlobalAveragePoolEmitter(),
            new FloatSoftmaxEmitter(),
        };
    }
}
