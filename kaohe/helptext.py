"""The CLI's help and usage errors in the language of the run: the help texts of kaohe's commands and options, and
typer's own words ("Usage:", "Options", "Show this message and exit.", "No such option: --x" …).

Help texts are written in English as marked constants (`help=N_("…")`, never a docstring: the catalogue cannot
see one), so typer builds its click commands with the English text. `KaoheGroup.make_context`, the first thing a
run does, chooses the language (`--lang` wherever it stands among the arguments, else kaohe.i18n.cli_locale);
the help texts of the command tree are put into it when help is shown (`KaoheContext.get_help`), so that a run
that shows none does not read the catalogue. Typer (0.29) carries its own copy of click, whose words are plain
English strings rather than gettext calls, so they are translated where they show: the usage line's prefix by
the help formatter of every context (`KaoheContext`), typer's panel titles by setting its constants when help or
an error shows, and a usage error by its sentence (`ERRORS`: click's and typer's sentences, the reason of a
refused value by pydantic's error type) when it leaves the root command. A sentence that no pattern matches
stays English. The names typer gives a value's type (`<int>`, `<int range>`, `<path>`; `display_type`), the
usage line's `[OPTIONS]` and `COMMAND [ARGS]...` and the metavars kaohe sets (`SECONDS`) are words of the run's
language too; a choice's values (`json|table|explain`) are what one types, and stay as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import typer
import typer.rich_utils
from typer._click.core import Context
from typer._click.exceptions import BadParameter, NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter

from kaohe.i18n import N_, Text, cli_locale, locale_tag, localize, translate, use_locale

# typer's words, kept in constants that it reads when it formats help and errors; set for the run's language
TYPER_WORDS = {"DEFAULT_STRING": N_("[default: {}]"), "ENVVAR_STRING": N_("[env var: {}]"),
               "REQUIRED_LONG_STRING": N_("[required]"), "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
               "OPTIONS_PANEL_TITLE": N_("Options"), "COMMANDS_PANEL_TITLE": N_("Commands"),
               "ERRORS_PANEL_TITLE": N_("Error"), "ABORTED_TEXT": N_("Aborted."),
               "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help.")}
USAGE = N_("Usage:")
HELP_OPTION = N_("Show this message and exit.")
# typer's names of a value's type in help (`--ttl <int range>`), in the run's language; a choice (`<json|table>`)
# is shown as written, its values being what one types
TYPE_NAMES = frozenset({N_("<int>"), N_("<float>"), N_("<str>"), N_("<bool>"), N_("<path>"), N_("<int range>"),
                        N_("<float range>"), N_("<list[str]>"), N_("<datetime>")})
# the usage line's placeholders of a command's options and of a group's command (`kaohe [OPTIONS] COMMAND [ARGS]...`)
METAVARS = {"options_metavar": N_("[OPTIONS]"), "subcommand_metavar": N_("COMMAND [ARGS]...")}
# click's and typer's usage errors, by their English sentence: the pattern's groups are the message's parameters
# ("reason", the reason a value was refused, is translated in its turn)
ERRORS = [(re.compile(pattern), message) for pattern, message in (
    (r"No such option: (?P<name>\S+) \(Possible options: (?P<options>.+)\)",
     N_("No such option: %(name)s (Possible options: %(options)s)")),
    (r"No such option: (?P<name>\S+)", N_("No such option: %(name)s")),
    (r"No such command (?P<name>'.*')\. Did you mean (?P<options>.+)\?",
     N_("No such command %(name)s. Did you mean %(options)s?")),
    (r"No such command (?P<name>'.*')\.", N_("No such command %(name)s.")),
    (r"Missing command\.", N_("Missing command.")),
    (r"Missing option (?P<name>.+)\.", N_("Missing option %(name)s.")),
    (r"Missing argument (?P<name>.+)\.", N_("Missing argument %(name)s.")),
    (r"Missing parameter: (?P<name>.+)", N_("Missing parameter: %(name)s")),
    (r"Invalid value for (?P<name>.+?): (?P<reason>.+)", N_("Invalid value for %(name)s: %(reason)s")),
    (r"Invalid value: (?P<reason>.+)", N_("Invalid value: %(reason)s")),
    (r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", N_("Got unexpected extra argument(s) (%(args)s)")),
    (r"Option (?P<name>'.+') requires an argument\.", N_("Option %(name)s requires an argument.")),
    (r"Option (?P<name>'.+') requires (?P<count>\d+) arguments\.",
     N_("Option %(name)s requires %(count)s arguments.")),
    (r"Option (?P<name>'.+') does not take a value\.", N_("Option %(name)s does not take a value.")),
    (r"Value (?P<value>.+) is not a valid (?P<kind>\S+)\.", N_("Value %(value)s is not a valid %(kind)s.")),
    (r"(?P<value>'.*') is not one of (?P<choices>.+)\.", N_("%(value)s is not one of %(choices)s.")),
)]
_ENGLISH = "_kaohe_english_"  # the English help text of a command or parameter, kept on it for another run


def language_of(args: Sequence[str]) -> str:
    """The language a run's arguments ask for (`--lang X` or `--lang=X` before a `--`), else the default one; an
    unknown language is refused later, by the `--lang` option itself."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(args):
            return locale_tag(args[index + 1]) or cli_locale()
        if arg.startswith("--lang="):
            return locale_tag(arg.partition("=")[2]) or cli_locale()
    return cli_locale()


def commands(command: Any) -> Iterator[Any]:
    """A click command and every command under it."""
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from commands(sub)


def help_texts(command: Any) -> Iterator[tuple[Any, str]]:
    """(holder, attribute) of every help text of a command tree: each command's help and short help, each of its
    parameters' help."""
    for each in commands(command):
        yield each, "help"
        yield each, "short_help"
        for param in each.params:
            yield param, "help"


def adopt(command: Any) -> None:
    """Every command of the tree makes KaoheContexts (they word help and usage when they are shown); nothing is
    translated yet, so a run that shows no help and no error does not read the catalogue."""
    for each in commands(command):
        each.context_class = KaoheContext
    typer.rich_utils.highlighter = FOLDING_HIGHLIGHTER


def localize_typer_words() -> None:
    """typer's own words (panel titles, "Try … for help.") in the run's language: before help or an error shows."""
    for constant, english in TYPER_WORDS.items():
        setattr(typer.rich_utils, constant, translate(english))


def _worded(holder: Any, attribute: str) -> None:
    """`holder.attribute` in the run's language, its English kept on it for a run in another language."""
    english = getattr(holder, _ENGLISH + attribute, None)
    if english is None:
        english = getattr(holder, attribute, None) or ""
        setattr(holder, _ENGLISH + attribute, english)
    if english:
        setattr(holder, attribute, translate(english))


def localize_metavars(command: Any) -> None:
    """The usage line's placeholders and the metavars kaohe gives its options (`--wait SECONDS`), in the run's
    language: when help or a usage error shows (the value types: `display_type`)."""
    for each in commands(command):
        for attribute, english in METAVARS.items():
            if getattr(each, attribute, None) == english or hasattr(each, _ENGLISH + attribute):
                _worded(each, attribute)
        for param in each.params:
            if getattr(param, "metavar", None):
                _worded(param, "metavar")


def localize_help(command: Any) -> None:
    """Every help text of the command tree, and typer's own words, in the run's language: when help is shown."""
    for holder, attribute in help_texts(command):
        _worded(holder, attribute)
    localize_metavars(command)
    adopt(command)
    localize_typer_words()


_ENGLISH_TYPE = typer.core._TyperParameter.display_type


def display_type(self: typer.core._TyperParameter, ctx: Context) -> str:
    """typer's name of a parameter's value type in help (`<int range>`), in the run's language (a method of typer's
    parameters, put in place of theirs below)."""
    shown = _ENGLISH_TYPE(self, ctx)
    return translate(shown) if shown in TYPE_NAMES else shown


typer.core._TyperParameter.display_type = display_type  # type: ignore[method-assign]


class FoldingHighlighter(typer.rich_utils.OptionHighlighter):
    """typer's highlighter of help texts, which also lets rich break a line inside a run of Chinese characters
    (rich breaks lines at spaces only, and cuts what does not fit with an ellipsis)."""

    def __call__(self, text: Any) -> Any:
        highlighted = super().__call__(text)
        highlighted.overflow = "fold"
        return highlighted


FOLDING_HIGHLIGHTER = FoldingHighlighter()


def worded(sentence: str, reason: str | None = None) -> str:
    """A sentence of click or typer in the run's language (`reason`: the refused value's reason, worded already)."""
    for pattern, message in ERRORS:
        found = pattern.fullmatch(sentence)
        if found:
            params: dict[str, object] = {k: v for k, v in found.groupdict().items() if v is not None}
            if "reason" in params:
                params["reason"] = reason if reason is not None else worded(str(params["reason"]))
            return localize(Text(message, params))
    return sentence


def worded_error(error: UsageError) -> UsageError:
    """The usage error with its sentence in the run's language (a value refused by pydantic: its reason by kind)."""
    localize_typer_words()  # the error panel's title and "Try … for help."
    if error.ctx is not None:  # the usage line above the error
        localize_metavars(error.ctx.find_root().command)
    if isinstance(error, NoArgsIsHelpError):
        return error
    from pydantic import ValidationError

    reason = None
    if isinstance(error, BadParameter) and isinstance(error.__cause__, ValidationError):
        from services.common.i18n import pydantic_reason

        found = error.__cause__.errors()
        reason = localize(pydantic_reason(found[0])) if found else None
    sentence = error.format_message()
    text = worded(sentence, reason)
    if text == sentence:
        return error
    translated = UsageError(text, ctx=error.ctx)
    translated.exit_code = error.exit_code
    return translated


class KaoheFormatter(HelpFormatter):
    """The usage line's prefix in the run's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = translate(USAGE)
            prefix += "" if prefix.endswith("：") else " "  # a Chinese colon holds its own space
        super().write_usage(prog, args, prefix)


class KaoheContext(typer.Context):
    """Every context of a run: its formatter words the usage line; its help, when shown (`--help`, a group run
    without a command), has every help text and its help option in the run's language, translated only then
    (the catalogue is read on a Chinese run's first message, not at every start)."""

    formatter_class = KaoheFormatter

    def get_help(self) -> str:
        localize_help(self.find_root().command)
        option = self.command.get_help_option(self)  # made once per command, as parsing would make it
        if option is not None:
            option.help = translate(HELP_OPTION)
        return str(super().get_help())


class KaoheGroup(typer.core.TyperGroup):
    """The `kaohe` command and its groups: the run's language is chosen before anything is parsed, and a usage
    error leaves in it."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        if parent is not None:
            return super().make_context(info_name, args, parent=parent, **extra)
        use_locale(language_of(args))  # the root command: the run starts here
        adopt(self)
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except UsageError as error:
            raise worded_error(error) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            raise worded_error(error) from None
