using System.Collections.Generic;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>The emitters of the lowered integer operators (plan op types <c>octet.Q*</c>, <c>octet.Requantize</c>, <c>octet.Table</c>).</summary>
    public static class Int8Emitters
    {
        public static IReadOnlyList<IOpEmitter> All { get; } = new IOpEmitter[]
        {
            new QConvEmitter(),
            new QGemmEmitter(),
            new QMatMulEmitter(),
            new QElementwiseEmitter(),
            new QPoolEmitter(),
            new QuantizeIntegerEmitter(),
        };
    }
}
