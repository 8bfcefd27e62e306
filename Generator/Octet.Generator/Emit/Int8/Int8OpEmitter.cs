using System;
using System.Collections.Generic;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// Base of the int8 emitters: <see cref="Analyze"/> reads and checks the op (and may report it unsupported)
    /// before a line is written, so a rejected op leaves no partial code behind; <see cref="IOpEmitter"/>'s rule
    /// that emitters never throw is kept by turning every failure into <see cref="OpEmitContext.Unsupported"/>.
    /// </summary>
    public abstract class Int8OpEmitter : IOpEmitter
    {
        public abstract IEnumerable<string> OpTypes { get; }

        public void Emit(OpEmitContext context)
        {
            Action<CodeWriter> write;
            try
            {
                write = Analyze(context);
            }
            catch (EmitException e)
            {
                context.Unsupported(e.Message);
                return;
            }
            catch (Exception e) when (e is FormatException || e is OverflowException || e is KeyNotFoundException || e is IndexOutOfRangeException || e is ArgumentException)
            {
                // A plan the parser accepted but this emitter cannot read (a malformed attribute, a missing tensor).
                context.Unsupported($"cannot read the op ({e.Message})");
                return;
            }
            write(context.Code);
        }

        /// <summary>Reads and checks the op; returns what writes its kernel body. Throws <see cref="EmitException"/> for an op it cannot emit.</summary>
        internal abstract Action<CodeWriter> Analyze(OpEmitContext context);
    }
}
