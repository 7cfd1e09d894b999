import type { TaskSample } from '@umd/trainer';
import { classificationMetrics, mostFrequent, vqaAccuracy } from '@umd/evaluation';

/** A floor row computed here without any model or image: metric name → value in [0, 1]. */
export interface TextFloor {
  readonly name: 'majority' | 'tfidf-knn' | 'chance';
  readonly label: string;
  readonly metrics: Readonly<Record<string, number>>;
}

/** A text and the answer (label) it should get. */
interface Labelled {
  readonly text: string;
  readonly label: string;
}

/**
 * The floors that never look at an image, computed on `samples` (the reported split) from `train` alone:
 * - VQA: question-only majority (the most frequent training answer to the same question, case and spaces folded;
 *   unseen questions get the most frequent answer overall: the trainer's `textOnlyFloor`) and a tf-idf 5-nearest-
 *   neighbour vote over the training questions; overall / open / closed accuracy.
 * - classification: the majority training label, and tf-idf 5-NN over the training captions; accuracy and macro-F1.
 * - retrieval: chance (random ranking of the split's images): Recall@k = min(k, n)/n in both directions.
 */
export function textFloors(kind: 'vqa' | 'classification' | 'retrieval', train: readonly TaskSample[], samples: readonly TaskSample[]): TextFloor[] {
  if (kind === 'retrieval') {
    const n = new Set(samples.map((sample) => sample.imageId)).size;
    const at = (k: number): number => (n === 0 ? Number.NaN : Math.min(k, n) / n);
    const recalls = { r1: at(1), r5: at(5), r10: at(10) };
    const metrics = {
      't2i.r1': recalls.r1,
      't2i.r5': recalls.r5,
      't2i.r10': recalls.r10,
      'i2t.r1': recalls.r1,
      'i2t.r5': recalls.r5,
      'i2t.r10': recalls.r10,
      meanRecall: (recalls.r1 + recalls.r5 + recalls.r10) / 3,
    };
    return [{ name: 'chance', label: 'floor: chance (random ranking, computed here)', metrics }];
  }
  const pairs = (list: readonly TaskSample[]): Labelled[] =>
    list.flatMap((sample) =>
      sample.task === 'vqa'
        ? [{ text: sample.question, label: sample.answer }]
        : sample.task === 'classification'
          ? [{ text: sample.text, label: sample.label }]
          : [],
    );
  const trainPairs = pairs(train);
  const queries = pairs(samples);
  const majority = majorityPredictions(trainPairs, queries, kind === 'vqa');
  const knn = tfidfKnnPredictions(trainPairs, queries, 5);
  const score = (predictions: readonly string[]): Record<string, number> => {
    if (kind === 'vqa') {
      const vqa = samples.filter((sample) => sample.task === 'vqa');
      const accuracy = vqaAccuracy(vqa.map((sample, i) => ({ prediction: predictions[i]!, answer: sample.answer, answerType: sample.answerType })));
      return { overall: accuracy.overall.accuracy, open: accuracy.open.accuracy, closed: accuracy.closed.accuracy };
    }
    const labels = [...new Set(trainPairs.map((pair) => pair.label))].sort();
    const index = new Map(labels.map((label, i) => [label, i]));
    const known = queries.map((query, i) => ({ target: index.get(query.label), predicted: index.get(predictions[i]!) ?? 0 }));
    const inside = known.filter((entry) => entry.target !== undefined);
    const metrics = classificationMetrics(
      inside.map((entry) => entry.predicted),
      inside.map((entry) => entry.target!),
      labels.length,
    );
    const correct = queries.filter((query, i) => predictions[i] === query.label).length;
    return { accuracy: queries.length === 0 ? Number.NaN : correct / queries.length, macroF1: metrics.macroF1 };
  };
  const text = kind === 'vqa' ? 'question' : 'caption';
  return [
    {
      name: 'majority',
      label: kind === 'vqa' ? 'floor: question-only majority (no model, computed here)' : 'floor: majority class (no model, computed here)',
      metrics: score(majority),
    },
    { name: 'tfidf-knn', label: `floor: ${text}-only tf-idf 5-NN (no image, computed here)`, metrics: score(knn) },
  ];
}

/** Per-question majority (VQA) or the overall majority label (classification). */
function majorityPredictions(train: readonly Labelled[], queries: readonly Labelled[], perQuestion: boolean): string[] {
  const overall = mostFrequent(train.map((pair) => pair.label));
  if (!perQuestion) return queries.map(() => overall);
  const byQuestion = new Map<string, string[]>();
  for (const pair of train) {
    const key = foldText(pair.text);
    const list = byQuestion.get(key) ?? [];
    list.push(pair.label);
    byQuestion.set(key, list);
  }
  const answers = new Map([...byQuestion].map(([key, list]) => [key, mostFrequent(list)]));
  return queries.map((query) => answers.get(foldText(query.text)) ?? overall);
}

/**
 * tf-idf k-nearest neighbours: word counts weighted by smooth idf (ln((1 + N)/(1 + df)) + 1), L2-normalised, cosine
 * similarity; the answer is the most frequent label among the k most similar training texts (ties: the label of the
 * nearer neighbour). A query without a known word gets the overall majority label.
 */
function tfidfKnnPredictions(train: readonly Labelled[], queries: readonly Labelled[], k: number): string[] {
  const documents = train.map((pair) => words(pair.text));
  const documentFrequency = new Map<string, number>();
  for (const document of documents) for (const word of new Set(document)) documentFrequency.set(word, (documentFrequency.get(word) ?? 0) + 1);
  const idf = (word: string): number => Math.log((1 + documents.length) / (1 + (documentFrequency.get(word) ?? 0))) + 1;
  const vectorOf = (tokens: readonly string[]): Map<string, number> => {
    const vector = new Map<string, number>();
    for (const token of tokens) if (documentFrequency.has(token)) vector.set(token, (vector.get(token) ?? 0) + 1);
    let norm = 0;
    for (const [token, count] of vector) {
      const weight = count * idf(token);
      vector.set(token, weight);
      norm += weight * weight;
    }
    norm = Math.sqrt(norm);
    for (const [token, weight] of vector) vector.set(token, weight / norm);
    return vector;
  };
  const trainVectors = documents.map(vectorOf);
  // Inverted index: word → (document, weight), so a query touches only documents that share a word with it.
  const postings = new Map<string, { document: number; weight: number }[]>();
  trainVectors.forEach((vector, document) => {
    for (const [word, weight] of vector) {
      const list = postings.get(word) ?? [];
      list.push({ document, weight });
      postings.set(word, list);
    }
  });
  const overall = mostFrequent(train.map((pair) => pair.label));
  return queries.map((query) => {
    const scores = new Map<number, number>();
    for (const [word, weight] of vectorOf(words(query.text))) {
      for (const posting of postings.get(word) ?? []) scores.set(posting.document, (scores.get(posting.document) ?? 0) + weight * posting.weight);
    }
    if (scores.size === 0) return overall;
    const nearest = [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k);
    const votes = new Map<string, { count: number; first: number }>();
    nearest.forEach(([document], rank) => {
      const label = train[document]!.label;
      const vote = votes.get(label) ?? { count: 0, first: rank };
      votes.set(label, { count: vote.count + 1, first: vote.first });
    });
    return [...votes].sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first)[0]![0];
  });
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

function foldText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}
