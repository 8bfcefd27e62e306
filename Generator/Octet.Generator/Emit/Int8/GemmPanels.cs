using System;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// Where a blocked int8 GEMM op gets its weight panels (<c>Int8Gemm.PackPanel</c> order) from, written into the op
    /// body as a variable <c>panel</c> for the panel of output channels starting at <c>m0</c>:
    /// <list type="bullet">
    /// <item>inside a model class, from a field the constructor fills once with every panel (<c>Int8Gemm.PackPanels</c>):
    /// the weights are constants, so packing them at each inference (as much as 5–15 % of a layer with few pixels) is
    /// wasted, and units on other threads share the one copy;</item>
    /// <item>in a kernel written on its own (no constructor), packed into a stack buffer when the op reaches each panel.</item>
    /// </list>
    /// The panels hold the same bytes either way, so the results cannot differ.
    /// </summary>
    internal sealed class GemmPanels
    {
        private readonly CodeWriter _code;
        private readonly string? _field;
        private readonly int _depth, _panelChannels, _panelBytes;
        private readonly bool _signedActivations;
        private readonly Action? _perPanel;

        private GemmPanels(CodeWriter code, string? field, int depth, int panelChannels, int panelBytes, bool signedActivations, Action? perPanel)
        {
            _code = code;
            _field = field;
            _depth = depth;
            _panelChannels = panelChannels;
            _panelBytes = panelBytes;
            _signedActivations = signedActivations;
            _perPanel = perPanel;
        }

        /// <summary>
        /// Declares the panels of <paramref name="rows"/> weight rows of <paramref name="depth"/> values
        /// (<paramref name="weights"/>, a class-level span expression; the op body's <c>w</c> when packing per call),
        /// <paramref name="panelChannels"/> rows per panel. <paramref name="perPanel"/> writes what else the op computes
        /// once per panel (a bias fold over the panel's channels).
        /// </summary>
        public static GemmPanels Declare(OpEmitContext context, CodeWriter code, int rows, int depth, int panelChannels, int paddedDepth,
            bool signedActivations, string weights, Action? perPanel = null)
        {
            int panelBytes = panelChannels * paddedDepth;
            string signed = signedActivations ? "true" : "false";
            if (context.CanPrepare)
            {
                string field = context.Prepare("byte[]", "Panels",
                    $"{Int8Code.Runtime}Int8Gemm.PackPanels({weights}, {depth}, {rows}, {panelChannels}, {signed})");
                code.Line($"// Weight panels of {panelChannels} channels ({panelBytes} bytes each), packed once by the constructor for Int8Gemm.");
                code.Line($"{Int8Code.ReadOnlySpan}<byte> panels = {field};");
                return new GemmPanels(code, field, depth, panelChannels, panelBytes, signedActivations, perPanel);
            }
            code.Line($"{Int8Code.Span}<byte> panel = stackalloc byte[{panelBytes}];");
            return new GemmPanels(code, null, depth, panelChannels, panelBytes, signedActivations, perPanel);
        }

        /// <summary>Makes <c>panel</c> the panel at <c>m0</c> (<c>channels</c> rows), where each panel is reached once.</summary>
        public void Select()
        {
            Reach();
            _perPanel?.Invoke();
        }

        /// <summary>Before a loop of units that may reach the same panel one after another: remembers which one is ready.</summary>
        public void DeclareSharing()
        {
            if (_field != null && _perPanel == null) return;
            _code.Line("// Consecutive units share a panel, which is prepared once for them.");
            _code.Line("int packed = -1;");
        }

        /// <summary>As <see cref="Select"/>, inside the loop <see cref="DeclareSharing"/> prepared.</summary>
        public void SelectShared()
        {
            if (_field != null && _perPanel == null)
            {
                Reach();
                return;
            }
            if (_field != null) Reach();
            _code.Open("if (m0 != packed)");
            if (_field == null) Reach();
            _perPanel?.Invoke();
            _code.Line("packed = m0;");
            _code.Close();
        }

        private void Reach()
        {
            if (_field != null)
                _code.Line($"var panel = panels.Slice(m0 / {_panelChannels} * {_panelBytes}, {_panelBytes});");
            else
                _code.Line($"{Int8Code.Runtime}Int8Gemm.PackPanel(w, {_depth}, m0, channels, {(_signedActivations ? "true" : "false")}, panel);");
        }
    }
}
