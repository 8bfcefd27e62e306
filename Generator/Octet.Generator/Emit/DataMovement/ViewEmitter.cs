using System.Collections.Generic;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// Reshape, Flatten, Squeeze, Unsqueeze and Identity: the output holds the input's elements in the same
    /// row-major order. When the memory plan put the output at the input's offset (a view) there is nothing to
    /// do; otherwise the bytes are copied. The shape/axes inputs were used by the compiler and are ignored here.
    /// </summary>
    internal sealed class ViewEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity" };

        public void Emit(OpEmitContext context)
        {
            if (!Checks.InputCount(context, 1)) return;
            var input = context.Input(0);
            var output = context.Output(0);
            if (!Checks.SameElementType(context, input, output) || !Checks.Size(context, input)) return;
            if (OpEmitContext.ElementCount(input) != OpEmitContext.ElementCount(output))
            {
                context.Unsupported($"input '{input.Name}' has {OpEmitContext.ElementCount(input)} elements and output '{output.Name}' {OpEmitContext.ElementCount(output)}");
                return;
            }
            bool sameOrder = (input.Layout == TensorLayouts.RowMajor && output.Layout == TensorLayouts.RowMajor)
                || (input.Layout == output.Layout && input.Shape == output.Shape);
            if (!sameOrder)
            {
                context.Unsupported($"input '{input.Name}' is {input.Layout} and output '{output.Name}' {output.Layout}; a view needs rowmajor on both sides");
                return;
            }
            if (input.Storage == Plan.PlanStorage.Arena && output.Storage == Plan.PlanStorage.Arena && input.Offset == output.Offset)
            {
                context.Code.Line($"// A view: the memory plan placed the output at the input's bytes (arena @{input.Offset}), which already are its elements in order.");
                return;
            }
            context.Code.Line("// The output has its own place in the arena, so the elements are copied there unchanged.");
            context.Code.Line($"{context.Span(input)}.CopyTo({context.Span(output)});");
        }
    }
}
