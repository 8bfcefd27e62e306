using System.Collections.Generic;

namespace Octet.Generator.Emit
{
    /// <summary>
    /// Writes the body of the kernel method of one kind of op. One implementation per op family; the model
    /// class emitter finds them by <see cref="OpTypes"/> (plan op types: "Conv", "octet.QConv", ...).
    /// An emitter never throws on a plan it cannot handle: it calls <see cref="OpEmitContext.Unsupported"/>,
    /// which becomes a diagnostic.
    /// </summary>
    public interface IOpEmitter
    {
        IEnumerable<string> OpTypes { get; }

        void Emit(OpEmitContext context);
    }
}
