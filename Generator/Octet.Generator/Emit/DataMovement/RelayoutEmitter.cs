using System.Collections.Generic;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// octet.Relayout: the same logical tensor in another layout (rowmajor ↔ NHWC). Written as a strided copy
    /// whose source strides follow the input's layout and destination strides the output's, over the logical shape.
    /// </summary>
    internal sealed class RelayoutEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "octet.Relayout" };

        public void Emit(OpEmitContext context)
        {
            if (!Checks.OneInputCopy(context, out var input, out var output)) return;
            if (input.Shape != output.Shape)
            {
                context.Unsupported($"input '{input.Name}' {Literals.Shape(input.Shape)} and output '{output.Name}' {Literals.Shape(output.Shape)} must have the same logical shape");
                return;
            }
            context.Code.Line($"// {input.Layout} → {output.Layout}: each element moves to where the output's layout keeps it.");
            var copy = new BoxCopy(0, Checks.Longs(TensorLayouts.Strides(input)), 0, Checks.Longs(TensorLayouts.Strides(output)), Checks.Longs(input.Shape));
            CopyWriter.Write(context, input, output, copy);
        }
    }
}
