using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Emit.DataMovement;
using Octet.Generator.Emit.Float;
using Octet.Generator.Emit.Int8;
using Octet.Generator.Emit.Transformer;

namespace Octet.Generator.Emit
{
    /// <summary>
    /// Every op emitter the generator knows, by plan op type. Data movement first, then the int8 and float
    /// compute emitters; when two claim the same op type the first one listed wins (so the lookup is
    /// deterministic), which keeps data movement (MaxPool, Concat, ...) in one place for both kinds of plan.
    /// </summary>
    public static class OpEmitterRegistry
    {
        private static readonly Lazy<Dictionary<string, IOpEmitter>> byOpType = new Lazy<Dictionary<string, IOpEmitter>>(Build);

        public static IEnumerable<IOpEmitter> All =>
            DataMovementEmitters.All.Concat(TransformerEmitters.BeforeInt8).Concat(Int8Emitters.All).Concat(TransformerEmitters.All).Concat(FloatEmitters.All);

        private static Dictionary<string, IOpEmitter> Build()
        {
            var map = new Dictionary<string, IOpEmitter>(StringComparer.Ordinal);
            foreach (var emitter in All)
                foreach (var opType in emitter.OpTypes)
                    if (!map.ContainsKey(opType)) map.Add(opType, emitter);
            return map;
        }

        /// <summary>The emitter for a plan op type, or null when none handles it.</summary>
        public static IOpEmitter? Find(string opType) => byOpType.Value.TryGetValue(opType, out var emitter) ? emitter : null;

        /// <summary>Every supported op type, sorted (for messages).</summary>
        public static IReadOnlyList<string> SupportedOpTypes => byOpType.Value.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
    }
}
