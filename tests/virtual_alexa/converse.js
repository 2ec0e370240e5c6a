// Plays a scripted conversation through Bespoken's virtual-alexa against a skill URL.
// stdin:  {"model": "<interaction model file>", "locale": "nl-NL", "url": "http://...",
//          "turns": ["<launch>", "an utterance", ...]}   ("<launch>" opens the skill)
// stdout: one JSON line per turn: {"said", "intent", "slots", "response"}; an utterance the
//         model's samples do not resolve gives {"said", "unmatched": true} and is not sent.
// One virtual user throughout: a new session after a stop is the same user coming back.
"use strict";
const { VirtualAlexa } = require("virtual-alexa");
const { Utterance } = require("virtual-core");

const LAUNCH = "<launch>";

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const script = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const alexa = VirtualAlexa.Builder()
    .interactionModelFile(script.model)
    .locale(script.locale)
    .skillURL(script.url)
    .create();
  let sent = null;
  alexa.filter((request) => {
    sent = request;
  });
  for (const said of script.turns) {
    let answer;
    if (said === LAUNCH) {
      answer = await alexa.launch();
    } else {
      // What alexa.utter() does, without its English-only guess that any phrase holding
      // "open", "ask" or "tell" (Dutch "hardlopen", English "tell me about") is a launch.
      const heard = new Utterance(alexa.context().interactionModel(), said);
      if (!heard.matched()) {
        process.stdout.write(`${JSON.stringify({ said, unmatched: true })}\n`);
        continue;
      }
      answer = await alexa.request().intent(heard.intent()).slots(heard.toJSON()).send();
    }
    const intent = sent.request.intent || {};
    const slots = Object.fromEntries(
      Object.entries(intent.slots || {})
        .filter(([, slot]) => slot.value !== undefined)
        .map(([name, slot]) => [name, slot.value]),
    );
    const line = { said, intent: intent.name || sent.request.type, slots, response: answer };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
