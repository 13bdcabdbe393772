import { detectLanguage } from '../../src/ml/language';

const SENTENCES: Record<string, string[]> = {
  en: [
    'I was charged twice for my subscription this month, please refund one of the payments.',
    'The dashboard has not loaded since this morning and my whole team is blocked.',
    'Could you add an export to Excel? It would save us a lot of time.',
    'Why is my invoice higher than last month?',
    'We cannot log in with single sign-on after the update.',
    'Thanks for the quick help yesterday, everything works again.',
  ],
  de: [
    'Ich wurde diesen Monat doppelt belastet, bitte erstatten Sie mir den Betrag.',
    'Seit heute Morgen kann sich niemand in unserem Team anmelden.',
    'Die App stürzt immer ab, wenn ich einen Bericht exportieren möchte.',
    'Wo finde ich die Rechnung für unser Jahresabo?',
    'Es wäre toll, wenn es einen Dunkelmodus gäbe.',
    'Vielen Dank für die schnelle Hilfe, jetzt funktioniert alles wieder.',
  ],
  fr: [
    "J'ai été facturé deux fois ce mois-ci, merci de me rembourser.",
    "Depuis la mise à jour, je n'arrive plus à me connecter à mon compte.",
    'Pourriez-vous ajouter un export vers Excel pour les rapports ?',
    'Le tableau de bord est très lent et affiche une erreur.',
    "Où puis-je télécharger la facture du mois dernier s'il vous plaît ?",
    'Merci pour votre aide, tout fonctionne maintenant.',
  ],
  es: [
    'Me cobraron dos veces la suscripción este mes, quiero un reembolso.',
    'No puedo iniciar sesión desde ayer, me aparece un error.',
    'Sería genial tener un modo oscuro en la aplicación.',
    '¿Dónde puedo descargar la factura del mes pasado?',
    'La aplicación se cierra sola cada vez que la abro con mi teléfono.',
    'Muchas gracias por la ayuda, ya funciona todo.',
  ],
  it: [
    "Mi è stato addebitato due volte l'abbonamento, vorrei un rimborso.",
    'Non riesco ad accedere al mio account da ieri sera.',
    'Sarebbe fantastico avere la modalità scura nella dashboard.',
    'Potete inviarmi la fattura di marzo per la nostra contabilità?',
    "L'applicazione si blocca ogni volta che carico un file.",
    'Grazie mille per il supporto, adesso funziona tutto.',
  ],
  pt: [
    'Fui cobrado duas vezes pela assinatura este mês, quero o reembolso.',
    'Não consigo fazer login desde ontem, aparece uma mensagem de erro.',
    'Seria ótimo ter uma integração com o Slack.',
    'Onde posso baixar a fatura do mês passado?',
    'O aplicativo trava toda vez que eu abro o relatório.',
    'Muito obrigado pela ajuda, agora está tudo funcionando.',
  ],
  nl: [
    'Ik ben deze maand twee keer gefactureerd, graag het bedrag terugbetalen.',
    'Sinds gisteren kan ik niet meer inloggen op mijn account.',
    'Het zou geweldig zijn als er een donkere modus kwam.',
    'Waar kan ik de factuur van vorige maand downloaden?',
    'De app crasht elke keer als ik een bestand upload.',
    'Bedankt voor de snelle hulp, alles werkt weer.',
  ],
  ru: [
    'С меня дважды списали оплату за подписку, верните деньги.',
    'Не могу войти в аккаунт со вчерашнего дня, появляется ошибка.',
    'Было бы здорово добавить тёмную тему в приложение.',
    'Пришлите, пожалуйста, счёт за прошлый месяц.',
    'Приложение падает при каждом запуске.',
  ],
};

describe('detectLanguage', () => {
  for (const [language, sentences] of Object.entries(SENTENCES)) {
    it.each(sentences)(`recognises ${language}: %s`, (sentence) => {
      const guess = detectLanguage(sentence);
      expect(guess.language).toBe(language);
      expect(guess.confidence).toBeGreaterThan(0.2);
      expect(guess.confidence).toBeLessThanOrEqual(1);
    });
  }

  it.each(['', '   ', '12345', '!!!', 'ok', 'ERR_CONNECTION_REFUSED 0x80070005'])(
    'is undetermined without evidence: %j',
    (text) => {
      expect(detectLanguage(text)).toEqual({ language: 'und', confidence: 0 });
    },
  );

  it('is less confident about a short phrase than about a full sentence', () => {
    const short = detectLanguage('bitte danke');
    const long = detectLanguage('Bitte helfen Sie uns, die Rechnung ist seit zwei Wochen nicht angekommen.');
    expect(short.language).toBe('de');
    expect(long.language).toBe('de');
    expect(short.confidence).toBeLessThan(long.confidence);
  });

  it('follows the dominant language of a mixed text', () => {
    expect(detectLanguage('Bonjour, le bouton "Export CSV" ne fonctionne pas depuis hier.').language).toBe(
      'fr',
    );
    expect(detectLanguage('Hallo, der Export als PDF funktioniert nicht mehr.').language).toBe('de');
  });

  it('does not take Cyrillic product names in an English text for Russian', () => {
    expect(detectLanguage('The invoice for ООО shows the wrong address, can you fix it?').language).toBe(
      'en',
    );
  });
});
